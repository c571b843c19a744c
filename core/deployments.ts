import { randomUUID } from 'node:crypto';
import { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { DeploymentRecord, EnvironmentRecord, LayerName, Operation, Trigger } from './domain';
import { LAYERS } from './domain';
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
    connection: Redis,
    readonly queueName: string,
  ) {
    this.queue = new Queue<DeployJobData>(queueName, { connection });
  }

  private get redis(): Redis {
    return this.store.redis;
  }

  /** Records the deployment, puts it in its environment's line and queues its job. */
  async enqueue(deployment: DeploymentRecord, options: { recorded?: boolean } = {}): Promise<void> {
    if (!options.recorded) await this.store.addDeployment(deployment);
    try {
      const arrival = await this.redis.incr(keys.arrivals());
      await this.redis.zadd(keys.environmentQueue(deployment.environment), arrival, deployment.id);
      await this.queue.add(
        'deploy',
        { deploymentId: deployment.id },
        { jobId: deployment.id, removeOnComplete: 1000, removeOnFail: 5000 },
      );
    } catch (error) {
      await this.store.removeDeployment(deployment);
      throw error;
    }
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

  /** Takes a deployment out of its environment's line (cancelled or superseded while waiting). */
  async leaveLine(deployment: DeploymentRecord): Promise<void> {
    await this.redis.zrem(keys.environmentQueue(deployment.environment), deployment.id);
  }

  async close(): Promise<void> {
    await this.queue.close();
  }
}
