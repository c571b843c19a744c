import { Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import { Deployments, type DeployJobData } from '../core/deployments';
import { EventLog } from '../core/event-log';
import { Maintenance, type MaintenanceJob } from '../core/maintenance';
import { keys } from '../core/redis-keys';
import type { Settings } from '../core/settings';
import { Store } from '../core/store';
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
  const store = new Store(redis, settings.bundleKey);
  const events = new EventLog(redis);
  const deployments = new Deployments(
    store,
    events,
    redis,
    options.queueName ?? settings.queueName,
  );
  deployments.queue.on('error', (error) => logger.warn({ err: error }, 'deployment queue error'));
  const maintenance = new Maintenance(redis, deployments.queueName);
  maintenance.queue.on('error', (error) => logger.warn({ err: error }, 'maintenance queue error'));
  const context: WorkerContext = {
    settings,
    store,
    events,
    deployments,
    maintenance,
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
      await deployments.close();
      await maintenance.close();
      store.close();
      subscriber.disconnect();
      await redis.quit();
    },
  };
}
