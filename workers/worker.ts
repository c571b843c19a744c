import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Deployments, type DeployJobData } from '../core/deployments';
import { EventLog } from '../core/event-log';
import { keys } from '../core/redis-keys';
import type { Settings } from '../core/settings';
import { Store } from '../core/store';
import type { WorkerContext } from './context';
import { deployProcessor } from './processors/deploy';

export interface WorkerOptions {
  settings: Settings;
  logger: Logger;
  queueName?: string;
  /** Deployments this process runs at once; each layer of each runs in its own process. */
  concurrency?: number;
}

export interface RunningWorker {
  context: WorkerContext;
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  // BullMQ's blocking commands need a connection that retries forever.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  const subscriber = redis.duplicate();
  const store = new Store(redis, settings.bundleKey);
  const deployments = new Deployments(store, redis, options.queueName ?? settings.queueName);
  deployments.queue.on('error', (error) => logger.warn({ err: error }, 'deployment queue error'));
  const context: WorkerContext = {
    settings,
    store,
    events: new EventLog(redis),
    deployments,
    logger,
    running: new Map(),
  };
  // A cancel request may reach any API process; the worker running the deployment hears it here.
  await subscriber.subscribe(keys.cancelChannel());
  subscriber.on('message', (_channel: string, id: string) => context.running.get(id)?.abort());

  const worker = new Worker<DeployJobData>(deployments.queueName, deployProcessor(context), {
    connection: redis,
    concurrency: options.concurrency ?? 4,
    // Pulumi operations are long; the lock is renewed, this only bounds a dead worker's hold.
    lockDuration: 60_000,
  });
  worker.on('failed', (job, error) => {
    logger.error({ err: error, deployment: job?.data.deploymentId }, 'deployment job failed');
  });
  worker.on('error', (error) => logger.error({ err: error }, 'worker error'));
  await worker.waitUntilReady();
  logger.info({ queue: deployments.queueName }, 'worker ready');

  return {
    context,
    async close() {
      for (const abort of context.running.values()) abort.abort();
      await worker.close();
      await deployments.close();
      subscriber.disconnect();
      await redis.quit();
    },
  };
}
