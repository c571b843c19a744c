import type { Logger } from 'pino';
import type { Services } from '../core/services';

export interface WorkerContext extends Services {
  logger: Logger;
  /** Abort handles of the deployments this process is running, by deployment id. */
  running: Map<string, AbortController>;
}
