import closeWithGrace from 'close-with-grace';
import type { Logger } from 'pino';

/**
 * Closes a process on SIGINT or SIGTERM and exits 0, or 1 when closing failed; a second
 * signal while closing exits at once. There is no deadline: a worker's close stops running
 * deployments, which resume on another worker, and may take as long as that takes. Other
 * signals and uncaught errors keep Node's default, which ends the process.
 */
export function closeOnSignal(logger: Logger, message: string, close: () => Promise<void>): void {
  closeWithGrace(
    {
      delay: false,
      logger: { error: (error: unknown) => logger.error({ err: error }, 'shutdown failed') },
      skip: [
        'SIGHUP',
        'SIGQUIT',
        'SIGILL',
        'SIGTRAP',
        'SIGABRT',
        'SIGBUS',
        'SIGFPE',
        'SIGSEGV',
        'SIGUSR2',
        'uncaughtException',
        'unhandledRejection',
        'beforeExit',
      ],
    },
    async ({ signal }) => {
      logger.info({ signal }, message);
      await close();
    },
  );
}
