import type { Redis } from 'ioredis';
import { DeploymentLifecycle } from './deployment-lifecycle';
import { EventLog } from './event-log';
import { Maintenance } from './maintenance';
import { NotificationSubscriptions } from './notification-subscriptions';
import { redisKeys, type RedisKeys } from './redis-keys';
import { ReviewTemplates } from './review-templates';
import type { Settings } from './settings';
import { Store } from './store';

/** What the API and the workers share on one Redis connection. */
export interface Services {
  settings: Settings;
  redis: Redis;
  keys: RedisKeys;
  store: Store;
  events: EventLog;
  lifecycle: DeploymentLifecycle;
  maintenance: Maintenance;
  reviewTemplates: ReviewTemplates;
  subscriptions: NotificationSubscriptions;
}

interface WarnLogger {
  warn(details: object, message: string): void;
}

/** Builds the shared services; `close` releases what they opened, not `redis` itself. */
export function createServices(
  settings: Settings,
  redis: Redis,
  queueName: string,
  logger: WarnLogger,
): Services & { close(): Promise<void> } {
  const keys = redisKeys(queueName);
  const store = new Store(redis, keys, settings.bundleKey);
  const events = new EventLog(redis, keys);
  const lifecycle = new DeploymentLifecycle(redis, keys, queueName, {
    maxAgeMs: settings.retentionMaxAgeMs,
    maxPerEnvironment: settings.retentionMaxPerEnvironment,
  });
  const maintenance = new Maintenance(redis, queueName);
  lifecycle.queue.on('error', (error) => logger.warn({ err: error }, 'deployment queue error'));
  maintenance.queue.on('error', (error) => logger.warn({ err: error }, 'maintenance queue error'));
  return {
    settings,
    redis,
    keys,
    store,
    events,
    lifecycle,
    maintenance,
    reviewTemplates: new ReviewTemplates(redis, keys),
    subscriptions: new NotificationSubscriptions(redis, keys, settings.bundleKey),
    async close() {
      await Promise.all([lifecycle.close(), maintenance.close()]);
      store.close();
    },
  };
}
