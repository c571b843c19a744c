import { gaveUp, MAX_ATTEMPTS } from '../core/deployment-lifecycle';
import type { DeploymentRecord, EnvironmentRecord } from '../core/domain';
import { expiryJobId } from '../core/maintenance';
import { FINAL_STATUSES } from '../core/domain';
import { FencedError } from '../core/errors';
import type { WorkerContext } from './context';
import { settleOrphaned } from './deployment/record';

/** How often deployments that have not ended are looked at. */
const FAST_EVERY_MS = 2_000;
/** How often every environment's line, slot and expiry are looked at. */
const DEEP_EVERY_MS = 60_000;

/**
 * Repairs what a dead process leaves behind, on worker start and on a schedule (and trims
 * deployment history past its retention): deployments
 * `running` with no live attempt (resumed, or ended when they cannot be), deployments `queued`
 * whose job is gone (queued again), line entries and environment slots of ended deployments
 * (removed), and environments whose expiry job is missing (scheduled again). Every repair is a
 * compare-and-set, so several workers reconciling at once do each repair once.
 */
export class Reconciler {
  private timers: NodeJS.Timeout[] = [];
  private busy = false;

  constructor(private readonly ctx: WorkerContext) {}

  async start(): Promise<void> {
    await this.deep();
    this.timers.push(
      setInterval(() => void this.guarded(() => this.fast()), FAST_EVERY_MS),
      setInterval(() => void this.guarded(() => this.deep()), DEEP_EVERY_MS),
    );
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
  }

  private async guarded(pass: () => Promise<void>): Promise<void> {
    if (this.busy) return;
    this.busy = true;
    try {
      await pass();
    } catch (error) {
      this.ctx.logger.warn({ err: error }, 'reconciliation pass failed; the next one retries');
    } finally {
      this.busy = false;
    }
  }

  /** Deployments that have not ended. */
  async fast(): Promise<void> {
    const { redis, keys, lifecycle } = this.ctx;
    for (const id of await redis.smembers(keys.unfinished())) {
      const d = await lifecycle.get(id);
      if (!d || FINAL_STATUSES.has(d.status)) {
        await redis.srem(keys.unfinished(), id);
        continue;
      }
      try {
        if (d.status === 'running') await this.orphan(d);
        else if (d.status === 'queued') await this.lostJob(d);
      } catch (error) {
        // A live attempt took it meanwhile: nothing to repair.
        if (!(error instanceof FencedError)) throw error;
      }
    }
  }

  private async orphan(d: DeploymentRecord): Promise<void> {
    const { lifecycle, logger } = this.ctx;
    if (this.ctx.running.has(d.id) || (await lifecycle.holderAlive(d.environment))) return;
    const cancelledBy = await lifecycle.cancelRequestedBy(d.id);
    if (cancelledBy) {
      const ended = await lifecycle.endOrphan(d.id, 'cancelled', `cancelled by ${cancelledBy}`);
      if (ended) await settleOrphaned(this.ctx, ended);
      logger.info(
        { deployment: d.id },
        'reconciler: ended a cancelled deployment whose worker died',
      );
    } else if ((d.attempts ?? 0) >= MAX_ATTEMPTS) {
      const ended = await lifecycle.endOrphan(d.id, 'failed', gaveUp(d));
      if (ended) await settleOrphaned(this.ctx, ended);
      logger.warn({ deployment: d.id }, 'reconciler: gave up on a deployment');
    } else if (await lifecycle.requeue(d.id, d.job)) {
      logger.info(
        { deployment: d.id, attempts: d.attempts },
        'reconciler: resuming a deployment whose worker stopped',
      );
    }
  }

  private async lostJob(d: DeploymentRecord): Promise<void> {
    const { lifecycle, logger } = this.ctx;
    const state = d.job ? await lifecycle.queue.getJobState(d.job) : 'unknown';
    if (state !== 'unknown' && state !== 'completed' && state !== 'failed') return;
    if (await lifecycle.requeue(d.id, d.job)) {
      logger.info({ deployment: d.id, job: d.job, state }, 'reconciler: queued a deployment again');
    }
  }

  /**
   * An expiry job is missing when none is queued and the expiry has not acted yet: it is still
   * ahead, or no deployment was made since it passed (a destroy that then failed is not retried
   * here, so a broken destroy does not loop).
   */
  private async expiryMissing(env: EnvironmentRecord): Promise<boolean> {
    const expiresAt = env.expiresAt;
    if (!expiresAt) return false;
    const { redis, keys, maintenance } = this.ctx;
    if (await maintenance.queue.getJob(expiryJobId(env.name, expiresAt))) return false;
    if (Date.parse(expiresAt) > Date.now()) return true;
    const [latest] = await redis
      .zrevrange(keys.environmentDeployments(env.name), 0, 0, 'WITHSCORES')
      .then((r) => [Number(r[1] ?? 0)]);
    return (latest ?? 0) < Date.parse(expiresAt);
  }

  /** Every environment's line and slot, and expiries. */
  async deep(): Promise<void> {
    await this.fast();
    const { redis, keys, store, lifecycle, maintenance, logger } = this.ctx;
    for (const env of await store.listEnvironments()) {
      for (const id of await redis.zrange(keys.environmentQueue(env.name), '0', '-1')) {
        const d = await lifecycle.get(id);
        if (d?.status === 'queued') continue;
        await redis.zrem(keys.environmentQueue(env.name), id);
        logger.info({ deployment: id, environment: env.name }, 'reconciler: left line');
      }
      const current = await redis.get(keys.environmentCurrent(env.name));
      if (current) {
        const d = await lifecycle.get(current);
        if (!d || FINAL_STATUSES.has(d.status) || d.status === 'queued') {
          await redis.del(keys.environmentCurrent(env.name));
          logger.info({ deployment: current, environment: env.name }, 'reconciler: freed slot');
          await lifecycle.handOff(env.name);
        }
      }
      // Ends trim by count as they happen; age needs a clock, so it is trimmed here too.
      const forgotten = await lifecycle.trimHistory(env.name);
      if (forgotten > 0) {
        logger.info({ environment: env.name, forgotten }, 'reconciler: trimmed history');
      }
      if (env.expiresAt && env.status !== 'destroying' && (await this.expiryMissing(env))) {
        await maintenance.scheduleExpiry(env);
        logger.info({ environment: env.name }, 'reconciler: scheduled a missing expiry');
      }
    }
  }
}
