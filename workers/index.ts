import { closeOnSignal } from '../core/graceful-shutdown';
import { createLogger } from '../core/logger';
import { announceGeneratedToken, loadSettings } from '../core/settings';
import { startWorker } from './worker';

async function main(): Promise<void> {
  const settings = loadSettings();
  announceGeneratedToken(settings);
  const logger = createLogger(settings.logLevel, 'strata-worker');
  const worker = await startWorker({ settings, logger });
  closeOnSignal(logger, 'shutting down; running deployments stop and resume on a worker', () =>
    worker.close(),
  );
}

main().catch((error: unknown) => {
  // Settings and installation problems are the user's to fix: say what, without a stack.
  const known =
    error instanceof Error && /^(SettingsError|InstallationMismatchError)$/.test(error.name);
  console.error(known ? `strata-worker: ${(error as Error).message}` : error);
  process.exit(1);
});
