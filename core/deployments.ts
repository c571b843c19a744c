import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type {
  DeploymentRecord,
  DeploymentStatus,
  EnvironmentRecord,
  LayerName,
  Operation,
  Trigger,
} from './domain';
import { LAYERS } from './domain';
import type { EventLog } from './event-log';
import { recordDeploymentEndQuietly } from './metrics';
import { keys } from './redis-keys';
import type { Store } from './store';

export interface DeployJobData {
  deploymentId: string;
}

export function environmentLayers(env: EnvironmentRecord): LayerName[] {
  return LAYERS.filter((l) => env.layers[l] !== undefined);
}

export function newDeployment(
  env: EnvironmentRecord,
  operation: Operation,
  trigger: Trigger,
  options: { layers?: LayerName[]; forget?: boolean } = {},
): DeploymentRecord {
  const layers = options.layers ?? environmentLayers(env);
  return {
    id: randomUUID(),
    environment: env.name,
    operation,
    layers,
    status: 'queued',
    trigger,
    ...(options.forget ? { forget: true } : {}),
    layerRuns: Object.fromEntries(layers.map((l) => [l, { status: 'pending' }])),
    createdAt: new Date().toISOString(),
  };
}

/**
 * Takes the environment for a deployment when it is first in the environment's line and no
 * other deployment holds the environment. Both in one step, so two workers cannot both win.
 */
const TAKE_TURN = `
local head = redis.call('ZRANGE', KEYS[1], 0, 0)
if ARGV[3] ~= 'resume' and head[1] ~= ARGV[1] then return 0 end
if not redis.call('SET', KEYS[2], ARGV[1], 'NX', 'PX', ARGV[2]) then return 0 end
redis.call('ZREM', KEYS[1], ARGV[1])
return 1`;

const RENEW_TURN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('PEXPIRE', KEYS[1], ARGV[2]) end
return 0`;

const RELEASE_TURN = `
if redis.call('GET', KEYS[1]) == ARGV[1] then return redis.call('DEL', KEYS[1]) end
return 0`;

/** The queue of deployments: the records in the store, the line per environment, the BullMQ jobs. */
export class Deployments {
  readonly queue: Queue<DeployJobData>;

  constructor(
    private readonly store: Store,
    private readonly events: EventLog,
    connection: Redis,
    readonly queueName: string,
  ) {
    this.queue = new Queue<DeployJobData>(queueName, { connection });
  }

  private get redis(): Redis {
    return this.store.redis;
  }

  /**
   * Records the deployment, puts it in its environment's line and queues its job. A new `up`
   * replaces the `up`s still waiting for the same environment (they end `superseded`), so a
   * burst of pushes leaves one deployment running and one waiting, never a pile.
   */
  async enqueue(deployment: DeploymentRecord, options: { recorded?: boolean } = {}): Promise<void> {
    if (!options.recorded) await this.store.addDeployment(deployment);
    try {
      await this.joinLine(deployment, deployment.id);
    } catch (error) {
      await this.store.removeDeployment(deployment);
      throw error;
    }
    if (deployment.operation === 'up') await this.supersedeOlder(deployment);
  }

  private async joinLine(deployment: DeploymentRecord, jobId: string): Promise<void> {
    const arrival = await this.redis.incr(keys.arrivals());
    await this.redis.zadd(keys.environmentQueue(deployment.environment), arrival, deployment.id);
    await this.queue.add(
      'deploy',
      { deploymentId: deployment.id },
      { jobId, removeOnComplete: 1000, removeOnFail: 5000 },
    );
  }

  private async supersedeOlder(newer: DeploymentRecord): Promise<void> {
    const line = keys.environmentQueue(newer.environment);
    const newerArrival = await this.redis.zscore(line, newer.id);
    const waiting = await this.redis.zrange(line, '0', '-1', 'WITHSCORES');
    const older: string[] = [];
    for (let i = 0; i + 1 < waiting.length; i += 2) {
      if (newerArrival === null || Number(waiting[i + 1]) < Number(newerArrival))
        older.push(waiting[i]!);
    }
    older.push(...(await this.redis.smembers(keys.environmentAwaiting(newer.environment))));
    for (const id of older) {
      if (id === newer.id) continue;
      const candidate = await this.store.getDeployment(id);
      // Only an `up` over the same or fewer layers is made pointless by the newer one.
      if (candidate?.operation !== 'up' || !candidate.layers.every((l) => newer.layers.includes(l)))
        continue;
      await this.endWaiting(id, 'superseded', { supersededBy: newer.id });
    }
  }

  /**
   * Ends a deployment that has not started (queued or held for approval). Returns the record,
   * or undefined when it had already moved on (started, or ended some other way).
   */
  async endWaiting(
    id: string,
    status: Extract<DeploymentStatus, 'cancelled' | 'superseded'>,
    details: Partial<DeploymentRecord> = {},
  ): Promise<DeploymentRecord | undefined> {
    let ended = false;
    const record = await this.store.updateDeployment(id, (d) => {
      if (d.status !== 'queued' && d.status !== 'pending_approval') return undefined;
      ended = true;
      return { ...d, ...details, status, finishedAt: new Date().toISOString() };
    });
    if (!ended) return undefined;
    await recordDeploymentEndQuietly(this.redis, this.queueName, record);
    await this.leaveLine(record);
    await this.redis.srem(keys.environmentAwaiting(record.environment), id);
    // A job already taken by a worker is locked and stays; the worker skips ended deployments.
    await this.queue.remove(id).catch(() => 0);
    await this.events.append(id, 'deployment', {
      status,
      ...(details.supersededBy ? { supersededBy: details.supersededBy } : {}),
      ...(details.error ? { error: details.error } : {}),
    });
    await this.events.append(id, 'end', { status });
    return record;
  }

  /** Holds a previewed deployment until someone approves or rejects it. */
  async holdForApproval(deployment: DeploymentRecord): Promise<void> {
    await this.redis.sadd(keys.environmentAwaiting(deployment.environment), deployment.id);
  }

  /** Puts an approved deployment back in its environment's line, to apply what was approved. */
  async approve(id: string, approver: string): Promise<DeploymentRecord | undefined> {
    let approved = false;
    const record = await this.store.updateDeployment(id, (d) => {
      if (d.status !== 'pending_approval' || !d.approval) return undefined;
      approved = true;
      return {
        ...d,
        status: 'queued',
        approval: { ...d.approval, approvedBy: approver, approvedAt: new Date().toISOString() },
      };
    });
    if (!approved) return undefined;
    await this.redis.srem(keys.environmentAwaiting(record.environment), id);
    await this.events.append(id, 'deployment', { status: 'queued', approvedBy: approver });
    // The preview's job has completed under the deployment id; the apply is a job of its own.
    await this.joinLine(record, `${id}-apply`);
    return record;
  }

  /** 1 for the next deployment of its environment, 2 for the one after, …; undefined when not waiting. */
  async queuePosition(deployment: DeploymentRecord): Promise<number | undefined> {
    if (deployment.status !== 'queued') return undefined;
    const rank = await this.redis.zrank(
      keys.environmentQueue(deployment.environment),
      deployment.id,
    );
    return rank === null ? undefined : rank + 1;
  }

  /**
   * `resume` is for a deployment whose worker died mid-run: it already left the line, so it
   * only needs the lock back.
   */
  async takeTurn(deployment: DeploymentRecord, ttlMs: number, resume = false): Promise<boolean> {
    const won = await this.redis.eval(
      TAKE_TURN,
      2,
      keys.environmentQueue(deployment.environment),
      keys.environmentLock(deployment.environment),
      deployment.id,
      String(ttlMs),
      resume ? 'resume' : 'fresh',
    );
    return Number(won) === 1;
  }

  async renewTurn(deployment: DeploymentRecord, ttlMs: number): Promise<void> {
    await this.redis.eval(
      RENEW_TURN,
      1,
      keys.environmentLock(deployment.environment),
      deployment.id,
      String(ttlMs),
    );
  }

  async releaseTurn(deployment: DeploymentRecord): Promise<void> {
    await this.redis.eval(
      RELEASE_TURN,
      1,
      keys.environmentLock(deployment.environment),
      deployment.id,
    );
  }

  /** Whether a deployment holds the environment or waits for it. */
  async isBusy(environment: string): Promise<boolean> {
    const [held, waiting] = await Promise.all([
      this.redis.exists(keys.environmentLock(environment)),
      this.redis.zcard(keys.environmentQueue(environment)),
    ]);
    return held === 1 || waiting > 0;
  }

  async waitingCount(environment: string): Promise<number> {
    return this.redis.zcard(keys.environmentQueue(environment));
  }

  /** Takes a deployment out of its environment's line (cancelled or superseded while waiting). */
  async leaveLine(deployment: DeploymentRecord): Promise<void> {
    await this.redis.zrem(keys.environmentQueue(deployment.environment), deployment.id);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
