import type { Redis } from 'ioredis';
import { Deployments } from './deployments';
import { EventLog } from './event-log';
import { Maintenance } from './maintenance';
import type { Settings } from './settings';
import { Store } from './store';

/** What the API and the workers share on one Redis connection. */
export interface Services {
  settings: Settings;
  redis: Redis;
  store: Store;
  events: EventLog;
  deployments: Deployments;
  maintenance: Maintenance;
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
  const store = new Store(redis, settings.bundleKey);
  const events = new EventLog(redis);
  const deployments = new Deployments(store, events, redis, queueName);
  const maintenance = new Maintenance(redis, deployments.queueName);
  deployments.queue.on('error', (error) => logger.warn({ err: error }, 'deployment queue error'));
  maintenance.queue.on('error', (error) => logger.warn({ err: error }, 'maintenance queue error'));
  return {
    settings,
    redis,
    store,
    events,
    deployments,
    maintenance,
    async close() {
      await Promise.all([deployments.close(), maintenance.close()]);
      store.close();
    },
  };
}
