import type { Logger } from 'pino';
import type { Deployments } from '../core/deployments';
import type { EventLog } from '../core/event-log';
import type { Maintenance } from '../core/maintenance';
import type { Settings } from '../core/settings';
import type { Store } from '../core/store';

export interface WorkerContext {
  settings: Settings;
  store: Store;
  events: EventLog;
  deployments: Deployments;
  maintenance: Maintenance;
  logger: Logger;
  /** Abort handles of the deployments this process is running, by deployment id. */
  running: Map<string, AbortController>;
}
