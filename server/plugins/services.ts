import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { Deployments } from '../../core/deployments';
import { EventLog } from '../../core/event-log';
import { Maintenance } from '../../core/maintenance';
import type { Settings } from '../../core/settings';
import { Store } from '../../core/store';

export interface Services {
  settings: Settings;
  redis: Redis;
  store: Store;
  events: EventLog;
  deployments: Deployments;
  maintenance: Maintenance;
}

declare module 'fastify' {
  interface FastifyInstance {
    strata: Services;
  }
}

export interface ServicesOptions {
  settings: Settings;
  queueName?: string;
}

/** Redis, the record store, the event log and the deployment queue, closed with the app. */
export default fp<ServicesOptions>(
  async (app, options) => {
    const redis = new Redis(options.settings.redisUrl, {
      // Fail requests fast while Redis is away instead of queueing them for minutes.
      maxRetriesPerRequest: 2,
      lazyConnect: true,
    });
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
    await redis.connect().catch((error: unknown) => {
      app.log.error({ err: error }, 'redis is not reachable yet; /readyz will say so');
    });
    const store = new Store(redis, options.settings.bundleKey);
    const events = new EventLog(redis);
    const deployments = new Deployments(
      store,
      events,
      redis,
      options.queueName ?? options.settings.queueName,
    );
    deployments.queue.on('error', (error) =>
      app.log.warn({ err: error }, 'deployment queue error'),
    );
    const maintenance = new Maintenance(redis, deployments.queueName);
    maintenance.queue.on('error', (error) =>
      app.log.warn({ err: error }, 'maintenance queue error'),
    );
    app.decorate('strata', {
      settings: options.settings,
      redis,
      store,
      events,
      deployments,
      maintenance,
    });
    app.addHook('onClose', async () => {
      await deployments.close();
      await maintenance.close();
      store.close();
      redis.disconnect();
    });
  },
  { name: 'strata-services' },
);
