import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DeployJobData } from '../core/deployments';
import type { MaintenanceJob } from '../core/maintenance';
import { createServices } from '../core/services';
import { keys } from '../core/redis-keys';
import type { Settings } from '../core/settings';
import type { WorkerContext } from './context';
import { deployProcessor } from './processors/deploy';
import { maintenanceProcessor } from './processors/maintenance';

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
  const services = createServices(settings, redis, options.queueName ?? settings.queueName, logger);
  const { deployments, maintenance } = services;
  const { close: closeServices, ...shared } = services;
  const context: WorkerContext = { ...shared, logger, running: new Map() };
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
  const maintenanceWorker = new Worker<MaintenanceJob>(
    maintenance.queue.name,
    maintenanceProcessor(context),
    { connection: redis, concurrency: 2 },
  );
  maintenanceWorker.on('failed', (job, error) => {
    logger.error({ err: error, job: job?.name }, 'maintenance job failed');
  });
  maintenanceWorker.on('error', (error) =>
    logger.error({ err: error }, 'maintenance worker error'),
  );
  await Promise.all([worker.waitUntilReady(), maintenanceWorker.waitUntilReady()]);
  await maintenance.scheduleSweep(settings.driftSchedule);
  logger.info(
    { queue: deployments.queueName, driftSchedule: settings.driftSchedule },
    'worker ready',
  );

  return {
    context,
    async close() {
      for (const abort of context.running.values()) abort.abort();
      await Promise.all([worker.close(), maintenanceWorker.close()]);
      await closeServices();
      subscriber.disconnect();
      await redis.quit();
    },
  };
}
