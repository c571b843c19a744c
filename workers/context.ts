import type { Logger } from 'pino';
import type { Services } from '../core/services';
import type { EnginePool } from './engine/engine-pool';
import type { LeaseKeeper } from './lease-keeper';

export interface WorkerContext extends Services {
  logger: Logger;
  /** The leases of the deployments this process is running, by deployment id. */
  running: Map<string, LeaseKeeper>;
  /** Engine processes started ahead of need; absent when STRATA_ENGINE_WARM is 0. */
  engines?: EnginePool;
  /** The CLI version read at start, handed to engines; absent when it could not be read. */
  cliVersion?: string;
}
