import { Queue } from 'bullmq';
import { CronExpressionParser } from 'cron-parser';
import type { Redis } from 'ioredis';
import { durationMs } from './duration';
import type { EnvironmentRecord } from './domain';

export type MaintenanceJob =
  | { kind: 'ttl'; environment: string; expiresAt: string }
  | { kind: 'drift-sweep' }
  | { kind: 'drift'; environment: string };

export const DRIFT_OFF = 'off';

/** Throws with a message saying what is wrong when `pattern` is not a cron pattern. */
export function assertCron(pattern: string): void {
  if (pattern === DRIFT_OFF) return;
  try {
    CronExpressionParser.parse(pattern);
  } catch (error) {
    throw new Error(
      `"${pattern}" is not a cron pattern (e.g. "0 4 * * *"): ${(error as Error).message}`,
    );
  }
}

/** Fire times looked at to find a schedule's shortest gap: a year of a twice-daily pattern. */
const INTERVAL_SAMPLES = 730;

/**
 * The shortest time between two consecutive runs of a cron pattern (over its next runs, so an
 * irregular pattern such as "0,1 4 * * *" shows its one-minute gap too). Infinity for "off".
 */
export function shortestInterval(pattern: string): number {
  if (pattern === DRIFT_OFF) return Infinity;
  const runs = CronExpressionParser.parse(pattern, { currentDate: new Date(0) })
    .take(INTERVAL_SAMPLES)
    .map((run) => run.getTime());
  let shortest = Infinity;
  for (let i = 1; i < runs.length; i++) {
    shortest = Math.min(shortest, (runs[i] as number) - (runs[i - 1] as number));
  }
  return shortest;
}

/** When an environment with a TTL expires, counted from `from` (its last deployment). */
export function expiryAfter(env: Pick<EnvironmentRecord, 'ttl'>, from: Date): string | undefined {
  return env.ttl ? new Date(from.getTime() + durationMs(env.ttl)).toISOString() : undefined;
}

/**
 * Ids of timed work. Per-environment ids carry a prefix no global id has, so no environment
 * name (an environment called "sweep", say) can replace the global drift schedule.
 */
const SWEEP_ID = 'global-drift-sweep';
const driftId = (environment: string): string => `env-drift-${environment}`;

export function expiryJobId(environment: string, expiresAt: string): string {
  return `env-ttl-${environment}-${Date.parse(expiresAt)}`;
}

/**
 * Timed work kept in Redis as BullMQ delayed jobs and job schedulers, so TTLs and drift
 * checks survive restarts of every process and fire on whichever worker is up.
 */
export class Maintenance {
  readonly queue: Queue<MaintenanceJob>;

  constructor(connection: Redis, deploymentQueueName: string) {
    this.queue = new Queue<MaintenanceJob>(`${deploymentQueueName}-maintenance`, { connection });
  }

  /**
   * Schedules the expiry check of an environment. Earlier checks stay queued and find a
   * later `expiresAt` when they fire, which makes them no-ops: rescheduling never races.
   */
  async scheduleExpiry(env: EnvironmentRecord): Promise<void> {
    if (!env.expiresAt) return;
    const at = Date.parse(env.expiresAt);
    await this.queue.add(
      'ttl',
      { kind: 'ttl', environment: env.name, expiresAt: env.expiresAt },
      {
        jobId: expiryJobId(env.name, env.expiresAt),
        delay: Math.max(0, at - Date.now()),
        removeOnComplete: true,
        removeOnFail: 100,
      },
    );
  }

  /** Looks at an expiry again later, for an environment that was busy when it came due. */
  async recheckExpiry(env: EnvironmentRecord, afterMs: number): Promise<void> {
    if (!env.expiresAt) return;
    await this.queue.add(
      'ttl',
      { kind: 'ttl', environment: env.name, expiresAt: env.expiresAt },
      {
        jobId: `${expiryJobId(env.name, env.expiresAt)}-recheck-${Date.now()}`,
        delay: afterMs,
        removeOnComplete: true,
        removeOnFail: 100,
      },
    );
  }

  async scheduleDrift(env: EnvironmentRecord): Promise<void> {
    const schedule = env.driftPolicy?.schedule;
    const id = driftId(env.name);
    if (!schedule || schedule === DRIFT_OFF) {
      await this.queue.removeJobScheduler(id);
      return;
    }
    await this.queue.upsertJobScheduler(
      id,
      { pattern: schedule },
      {
        name: 'drift',
        data: { kind: 'drift', environment: env.name },
        opts: { removeOnComplete: true, removeOnFail: 100 },
      },
    );
  }

  /** The global drift schedule, for every environment without one of its own. */
  async scheduleSweep(pattern: string): Promise<void> {
    if (pattern === DRIFT_OFF) {
      await this.queue.removeJobScheduler(SWEEP_ID);
      return;
    }
    await this.queue.upsertJobScheduler(
      SWEEP_ID,
      { pattern },
      {
        name: 'drift-sweep',
        data: { kind: 'drift-sweep' },
        opts: { removeOnComplete: true, removeOnFail: 100 },
      },
    );
  }

  async forget(environment: string): Promise<void> {
    await this.queue.removeJobScheduler(driftId(environment));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
