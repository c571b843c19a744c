import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import type { Settings } from '../../core/settings';
import { createServices, type Services } from '../../core/services';

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
    const { close, ...services } = createServices(
      options.settings,
      redis,
      options.queueName ?? options.settings.queueName,
      app.log,
    );
    app.decorate('strata', services);
    app.addHook('onClose', async () => {
      await close();
      redis.disconnect();
    });
  },
  { name: 'strata-services' },
);
