import { createLogger } from '../core/logger';
import { announceGeneratedToken, loadSettings } from '../core/settings';
import { startWorker } from './worker';

async function main(): Promise<void> {
  const settings = loadSettings();
  announceGeneratedToken(settings);
  const logger = createLogger(settings.logLevel, 'strata-worker');
  const worker = await startWorker({
    settings,
    logger,
    concurrency: Number(process.env.STRATA_WORKER_CONCURRENCY ?? 4),
  });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down; running deployments are cancelled cleanly');
    worker.close().then(
      () => process.exit(0),
      (error: unknown) => {
        logger.error({ err: error }, 'shutdown failed');
        process.exit(1);
      },
    );
  };
  process.on('SIGINT', () => shutdown('SIGINT'));
  process.on('SIGTERM', () => shutdown('SIGTERM'));
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
