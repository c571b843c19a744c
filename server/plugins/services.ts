import fp from 'fastify-plugin';
import { Redis } from 'ioredis';
import { claimInstallation, InstallationMismatchError } from '../../core/installation';
import { createServices, type Services } from '../../core/services';
import type { Settings } from '../../core/settings';
import { ServiceUnavailableError } from '../errors';

declare module 'fastify' {
  interface FastifyInstance {
    strata: Services;
    /** Why this process cannot serve Strata's records at all, if it cannot. */
    strataRefusal(): string | undefined;
  }
}

export interface ServicesOptions {
  settings: Settings;
  queueName?: string;
}

/** How long a request waits for one Redis command before answering 503. */
const REDIS_COMMAND_TIMEOUT_MS = 2_000;

/** Resolves once the connection is ready; rejects when Redis does not answer at start. */
function connected(redis: Redis): Promise<void> {
  if (redis.status === 'ready') return Promise.resolve();
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      redis.off('ready', onReady);
      reject(new Error(`no answer from Redis within ${REDIS_COMMAND_TIMEOUT_MS} ms`));
    }, REDIS_COMMAND_TIMEOUT_MS);
    const onReady = (): void => {
      clearTimeout(timer);
      resolve();
    };
    redis.once('ready', onReady);
  });
}

/** Redis, the record store, the event log and the deployment lifecycle, closed with the app. */
export default fp<ServicesOptions>(
  async (app, options) => {
    const redis = new Redis(options.settings.redisUrl, {
      // Requests fail fast with 503 while Redis is away instead of waiting for it.
      enableOfflineQueue: false,
      commandTimeout: REDIS_COMMAND_TIMEOUT_MS,
      maxRetriesPerRequest: 1,
    });
    redis.on('error', (error) => app.log.warn({ err: error }, 'redis connection error'));
    const { close, ...services } = createServices(
      options.settings,
      redis,
      options.queueName ?? options.settings.queueName,
      app.log,
    );
    let refusal: string | undefined;
    let claimed = false;
    const claim = async (): Promise<void> => {
      if (claimed) return;
      try {
        await claimInstallation(redis, services.keys, options.settings.bundleKey);
        claimed = true;
      } catch (error) {
        if (!(error instanceof InstallationMismatchError)) throw error;
        refusal = error.message;
        throw error;
      }
    };
    try {
      await connected(redis);
      await claim();
    } catch (error) {
      if (error instanceof InstallationMismatchError) throw error;
      app.log.error({ err: error }, 'redis is not reachable yet; /readyz will say so');
      // Checked as soon as Redis answers: until then, nothing is written.
      redis.on('ready', () => {
        claim().catch((failure: unknown) =>
          app.log.error({ err: failure }, 'this process does not belong to the installation'),
        );
      });
    }
    app.decorate('strata', services);
    app.decorate('strataRefusal', () => refusal);
    app.addHook('onRequest', async (request) => {
      if (refusal && request.url.startsWith('/v1/')) throw new ServiceUnavailableError(refusal);
    });
    app.addHook('onClose', async () => {
      await close();
      redis.disconnect();
    });
  },
  { name: 'strata-services' },
);
