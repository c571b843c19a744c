import { Queue, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { DeployJobData } from '../core/deployment-lifecycle';
import { checkBackend } from '../core/backend-check';
import { redactUrl } from '../core/backend-url';
import { claimInstallation } from '../core/installation';
import type { MaintenanceJob } from '../core/maintenance';
import { notificationQueueName, type NotifyJobData } from '../core/notification-events';
import { createServices } from '../core/services';
import type { Settings } from '../core/settings';
import type { WorkerContext } from './context';
import { readCliVersion } from './engine/cli-version';
import { EnginePool, engineSecrets } from './engine/engine-pool';
import { engineEnvironment } from './engine/run-layer';
import { deployProcessor } from './processors/deploy';
import { maintenanceProcessor } from './processors/maintenance';
import { notifyBackoff, notifyProcessor } from './processors/notify';
import { NotificationDrainer } from './notification-drainer';
import { Reconciler } from './reconciler';

export interface WorkerOptions {
  settings: Settings;
  logger: Logger;
  queueName?: string;
}

export interface RunningWorker {
  context: WorkerContext;
  reconciler: Reconciler;
  close(): Promise<void>;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const { settings, logger } = options;
  // BullMQ's blocking commands need a connection that retries forever; so do the worker's
  // writes, which wait for Redis to come back rather than being lost.
  const redis = new Redis(settings.redisUrl, { maxRetriesPerRequest: null });
  redis.on('error', (error) => logger.warn({ err: error }, 'redis connection error'));
  const subscriber = redis.duplicate();
  subscriber.on('error', (error) => logger.warn({ err: error }, 'redis subscriber error'));
  const services = createServices(settings, redis, options.queueName ?? settings.queueName, logger);
  const { lifecycle, maintenance, keys } = services;
  const { close: closeServices, ...shared } = services;
  // Read once here rather than by each engine process as it starts, while the installation is
  // claimed. It never rejects: a problem is logged, and engines then check for themselves.
  const cliRead = readCliVersion(process.env);
  try {
    await claimInstallation(redis, keys, settings.bundleKey);
  } catch (error) {
    await closeServices();
    subscriber.disconnect();
    redis.disconnect();
    throw error;
  }
  const cli = await cliRead;
  if ('problem' in cli) logger.error(cli.problem);
  const context: WorkerContext = {
    ...shared,
    logger,
    running: new Map(),
    ...('version' in cli ? { cliVersion: cli.version } : {}),
  };
  // A cancel request may reach any API process; the worker running the deployment hears it here
  // at once (and from its next lease renewal, should this message be missed).
  await subscriber.subscribe(keys.cancelChannel());
  subscriber.on('message', (_channel: string, id: string) =>
    context.running.get(id)?.stop('cancelled'),
  );

  const worker = new Worker<DeployJobData>(lifecycle.queueName, deployProcessor(context), {
    connection: redis,
    // Deployments this process runs at once; each layer of each runs in its own process.
    concurrency: settings.workerConcurrency,
    // Dead workers are found by their deployment lease (see the reconciler); BullMQ's own stall
    // check only tidies jobs, so its defaults can stay.
    lockDuration: 30_000,
  });
  worker.on('failed', (job, error) => {
    logger.error(
      { err: error, deployment: job?.data.deploymentId },
      'deployment job failed; the reconciler looks after the deployment',
    );
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
  // Deliveries run on their own queue and workers: a slow receiver never holds up a deployment.
  const notifyQueueName = notificationQueueName(lifecycle.queueName);
  const notifyQueue = new Queue<NotifyJobData>(notifyQueueName, { connection: redis });
  notifyQueue.on('error', (error) => logger.warn({ err: error }, 'notification queue error'));
  const notifyWorker = new Worker<NotifyJobData>(notifyQueueName, notifyProcessor(context), {
    connection: redis,
    concurrency: 8,
    settings: { backoffStrategy: notifyBackoff(settings) },
  });
  notifyWorker.on('failed', (job, error) => {
    logger.warn(
      { err: error, subscription: job?.data.subscription, event: job?.data.notification.event },
      'notification delivery failed',
    );
  });
  notifyWorker.on('error', (error) => logger.error({ err: error }, 'notification worker error'));
  const drainer = new NotificationDrainer(
    redis,
    keys,
    services.subscriptions,
    notifyQueue,
    settings,
    logger,
  );
  drainer.start();
  await Promise.all([
    worker.waitUntilReady(),
    maintenanceWorker.waitUntilReady(),
    notifyWorker.waitUntilReady(),
  ]);
  // Said at start rather than at the first deployment; the backend may still come up later.
  const backend = await checkBackend(settings.backendUrl, {
    PULUMI_CONFIG_PASSPHRASE: settings.passphrase,
  });
  if (backend.problem) logger.error(backend.problem);
  await maintenance.scheduleSweep(settings.driftSchedule);
  if (settings.engineWarm > 0) {
    // Started once the worker is ready, so a worker that cannot start leaves none behind.
    context.engines = new EnginePool(
      settings.engineWarm,
      engineEnvironment(process.env, engineSecrets(settings), context.cliVersion),
    );
  }
  const reconciler = new Reconciler(context);
  await reconciler.start();
  logger.info(
    {
      queue: lifecycle.queueName,
      driftSchedule: settings.driftSchedule,
      worker: settings.workerId,
      backend: redactUrl(settings.backendUrl),
    },
    'worker ready',
  );

  return {
    context,
    reconciler,
    async close() {
      reconciler.close();
      // Running deployments stop their engines and are left to resume elsewhere (or here,
      // after a restart): a worker going away is not a reason for them to fail.
      for (const lease of context.running.values()) lease.interrupt();
      await drainer.close();
      await Promise.all([worker.close(), maintenanceWorker.close(), notifyWorker.close()]);
      await notifyQueue.close();
      context.engines?.close();
      await closeServices();
      subscriber.disconnect();
      await redis.quit();
    },
  };
}
