import { closeOnSignal } from '../core/graceful-shutdown';
import { createLogger } from '../core/logger';
import { announceGeneratedToken, loadSettings } from '../core/settings';
import { buildApp } from './app';

async function main(): Promise<void> {
  const settings = loadSettings();
  const logger = createLogger(settings.logLevel, 'strata-api');
  const app = await buildApp({ settings, logger });
  announceGeneratedToken(settings);
  closeOnSignal(app.log, 'shutting down', () => app.close());
  await app.listen({ port: settings.port, host: settings.host });
}

main().catch((error: unknown) => {
  // Settings and installation problems are the user's to fix: say what, without a stack.
  const known =
    error instanceof Error && /^(SettingsError|InstallationMismatchError)$/.test(error.name);
  console.error(known ? `strata-api: ${(error as Error).message}` : error);
  process.exit(1);
});
