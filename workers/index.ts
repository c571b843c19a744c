import { createLogger } from '../core/logger';
import { announceGeneratedToken, loadSettings } from '../core/settings';
import { startWorker } from './worker';

async function main(): Promise<void> {
  const settings = loadSettings();
  announceGeneratedToken(settings);
  const logger = createLogger(settings.logLevel, 'strata-worker');
  const worker = await startWorker({ settings, logger });
  let closing = false;
  const shutdown = (signal: string): void => {
    if (closing) return;
    closing = true;
    logger.info({ signal }, 'shutting down; running deployments stop and resume on a worker');
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
  // Settings and installation problems are the user's to fix: say what, without a stack.
  const known =
    error instanceof Error && /^(SettingsError|InstallationMismatchError)$/.test(error.name);
  console.error(known ? `strata-worker: ${(error as Error).message}` : error);
  process.exit(1);
});
