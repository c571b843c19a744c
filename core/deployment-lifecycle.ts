import { randomBytes, randomUUID } from 'node:crypto';
import { Queue, type Job } from 'bullmq';
import type { Redis } from 'ioredis';
import {
  FINAL_STATUSES,
  LAYERS,
  type DeploymentRecord,
  type DeploymentStatus,
  type EnvironmentRecord,
  type LayerName,
  type Operation,
  type Trigger,
} from './domain';
import { ConflictError, FencedError, NotFoundError } from './errors';
import { EVENT_RETENTION_SECONDS, type EventKind } from './event-log';
import { luaScript } from './lua-script';
import { notificationsOf, outboxEntry } from './notification-events';
import { recordDeploymentEndQuietly } from './metrics';
import type { RedisKeys } from './redis-keys';

export interface DeployJobData {
  deploymentId: string;
}

/**
 * How long an attempt's lease lasts without renewal. A worker that dies is noticed this long
 * after its last renewal at most; an attempt that cannot renew stops its engines before then.
 */
export const LEASE_MS = 10_000;
/** Attempts at one deployment before it ends `failed` instead of resuming again. */
export const MAX_ATTEMPTS = 5;

const transitionScript = luaScript('transition');
const takeTurnScript = luaScript('take-turn');
const renewLeaseScript = luaScript('renew-lease');
const releaseLeaseScript = luaScript('release-lease');
const trimHistoryScript = luaScript('trim-history');

/** How much ended history each environment keeps (STRATA_RETENTION_*). */
export interface Retention {
  maxAgeMs: number;
  maxPerEnvironment: number;
}

export const DEFAULT_RETENTION: Retention = {
  maxAgeMs: 30 * 24 * 3600 * 1000,
  maxPerEnvironment: 100,
};

export function environmentLayers(env: EnvironmentRecord): LayerName[] {
  return LAYERS.filter((l) => env.layers[l] !== undefined);
}

export function newDeployment(
  env: EnvironmentRecord,
  operation: Operation,
  trigger: Trigger,
  options: { layers?: LayerName[]; forget?: boolean; refresh?: boolean } = {},
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
    ...(env.reviewTemplate ? { reviewTemplate: env.reviewTemplate } : {}),
    ...(options.refresh === false ? { refresh: false as const } : {}),
    layerRuns: Object.fromEntries(layers.map((l) => [l, { status: 'pending' }])),
    createdAt: new Date().toISOString(),
  };
}

type Event = [EventKind, unknown];

/** What a transition does besides replacing the record (see core/lua/transition.lua). */
interface Change {
  next: DeploymentRecord;
  /** C created, J join the line, W held for approval, w no longer held, X ended. */
  ops?: string;
  events?: Event[];
  lineScore?: number;
}

export type BeginResult =
  | { kind: 'started'; attempt: Attempt }
  /** Another deployment has the environment, or this one is not first in line: try later. */
  | { kind: 'wait' }
  /**
   * Nothing to run: ended, held for approval, gone, or another job answers for it. `gaveUp`:
   * ended here, `failed`, its attempts all having died (see settleOrphaned).
   */
  | { kind: 'done'; gaveUp?: DeploymentRecord };

const isFinal = (d: DeploymentRecord): boolean => FINAL_STATUSES.has(d.status);
const isWaiting = (d: DeploymentRecord): boolean =>
  d.status === 'queued' || d.status === 'pending_approval';
const now = (): string => new Date().toISOString();
const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * The deployment state machine, and the only code that writes a deployment's status:
 * `queued` → `running` → `succeeded` | `failed` | `cancelled`, `queued` → `superseded` |
 * `cancelled`, `running` → `pending_approval` → `queued` | `cancelled`. Every transition is one
 * compare-and-set step in Redis that also moves the environment's line, its current slot and
 * lease, and the event stream, so they never disagree, whichever process dies between two steps.
 */
export class DeploymentLifecycle {
  readonly queue: Queue<DeployJobData>;

  constructor(
    readonly redis: Redis,
    readonly keys: RedisKeys,
    readonly queueName: string,
    readonly retention: Retention = DEFAULT_RETENTION,
  ) {
    this.queue = new Queue<DeployJobData>(queueName, { connection: redis });
  }

  async get(id: string): Promise<DeploymentRecord | undefined> {
    const raw = await this.redis.get(this.keys.deployment(id));
    return raw === null ? undefined : (JSON.parse(raw) as DeploymentRecord);
  }

  private transitionKeys(d: DeploymentRecord): string[] {
    const k = this.keys;
    return [
      k.deployment(d.id),
      k.environmentQueue(d.environment),
      k.environmentCurrent(d.environment),
      k.environmentLease(d.environment),
      k.events(d.id),
      k.eventSequence(d.id),
      k.environmentAwaiting(d.environment),
      k.unfinished(),
      k.deploymentCancel(d.id),
      k.environmentDeployments(d.environment),
      k.notificationOutbox(),
      k.environment(d.environment),
      k.environments(),
    ];
  }

  /**
   * Applies `decide` to the current record and writes the result in one step, reading again
   * when another process changed the record meanwhile. `token` fences the write to the attempt
   * holding the lease. Returns the record and whether it changed.
   */
  async change(
    id: string,
    decide: (d: DeploymentRecord) => Change | undefined,
    token = '',
    create?: DeploymentRecord,
  ): Promise<{ record: DeploymentRecord; changed: boolean }> {
    for (let attempt = 0; attempt < 50; attempt++) {
      const raw = create ? '' : await this.redis.get(this.keys.deployment(id));
      if (raw === null) throw new NotFoundError(`deployment "${id}" not found`);
      const current = create ?? (JSON.parse(raw) as DeploymentRecord);
      const change = decide(current);
      if (!change) return { record: current, changed: false };
      const events = (change.events ?? []).flatMap(([kind, data]) => [kind, JSON.stringify(data)]);
      const notifications = notificationsOf(change.next, create ? undefined : current).map((n) =>
        JSON.stringify(n),
      );
      const result = Number(
        await transitionScript.run(this.redis, this.transitionKeys(current), [
          id,
          raw,
          JSON.stringify(change.next),
          token,
          change.ops ?? '',
          change.lineScore ?? 0,
          Date.parse(current.createdAt),
          // An ended deployment's stream expires with the retention age, whatever else happens.
          Math.ceil(this.retention.maxAgeMs / 1000),
          notifications.length,
          ...notifications,
          ...events,
        ]),
      );
      if (result === 1) {
        if (/[WX]/.test(change.ops ?? '')) await this.handOff(current.environment);
        // Each end trims its environment's history: the work is bounded by what one
        // environment keeps, and history never grows past it between two ends.
        if (change.ops?.includes('X')) await this.trimHistoryQuietly(change.next.environment);
        return { record: change.next, changed: true };
      }
      if (result === -1) {
        throw new FencedError(
          token
            ? `deployment ${id}: this attempt no longer holds its environment`
            : `deployment ${id} is held by a running attempt`,
        );
      }
      if (create) throw new ConflictError(`deployment "${id}" already exists`);
      await pause(Math.random() * Math.min(50, 2 ** attempt));
    }
    throw new ConflictError(`deployment "${id}" is changing too fast to update; try again`);
  }

  private async arrival(): Promise<number> {
    return this.redis.incr(this.keys.arrivals());
  }

  private async addJob(id: string, job: string): Promise<void> {
    await this.queue.add(
      'deploy',
      { deploymentId: id },
      { jobId: job, removeOnComplete: 1000, removeOnFail: 5000 },
    );
  }

  /**
   * Records a new deployment, puts it in its environment's line and queues its job. A new `up`
   * replaces the `up`s still waiting for the same environment (they end `superseded`), so a
   * burst of pushes leaves one deployment running and one waiting, never a pile.
   */
  async enqueue(deployment: DeploymentRecord): Promise<DeploymentRecord> {
    const record: DeploymentRecord = { ...deployment, status: 'queued', job: deployment.id };
    const lineScore = await this.arrival();
    await this.change(record.id, () => ({ next: record, ops: 'CJ', lineScore }), '', record);
    try {
      await this.addJob(record.id, record.id);
    } catch (error) {
      // Nothing half-created: a deployment whose job could not be queued is not kept.
      await this.discard(record).catch(() => undefined);
      throw error;
    }
    if (record.operation === 'up') await this.supersedeOlder(record, lineScore);
    return record;
  }

  /** Forgets a deployment that never got a job (the reconciler queues any this misses). */
  private async discard(record: DeploymentRecord): Promise<void> {
    const k = this.keys;
    await this.redis
      .multi()
      .del(k.deployment(record.id), k.events(record.id), k.eventSequence(record.id))
      .zrem(k.environmentDeployments(record.environment), record.id)
      .zrem(k.environmentQueue(record.environment), record.id)
      .srem(k.unfinished(), record.id)
      .exec();
  }

  private async supersedeOlder(newer: DeploymentRecord, newerArrival: number): Promise<void> {
    const line = this.keys.environmentQueue(newer.environment);
    const waiting = await this.redis.zrangebyscore(line, '-inf', `(${newerArrival}`);
    const held = await this.redis.smembers(this.keys.environmentAwaiting(newer.environment));
    for (const id of [...waiting, ...held]) {
      if (id === newer.id) continue;
      const candidate = await this.get(id);
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
    const { record, changed } = await this.change(id, (d) => {
      if (!isWaiting(d)) return undefined;
      const next = { ...d, ...details, status, finishedAt: now() };
      return { next, ops: 'X', events: endEvents(next) };
    });
    if (!changed) return undefined;
    await this.counted(record);
    // A job already taken by a worker is locked and stays; it finds the deployment ended.
    if (record.job) await this.queue.remove(record.job).catch(() => 0);
    return record;
  }

  /** Puts an approved deployment back in its environment's line, to apply what was approved. */
  async approve(id: string, approver: string): Promise<DeploymentRecord | undefined> {
    const lineScore = await this.arrival();
    const { record, changed } = await this.change(id, (d) => {
      if (d.status !== 'pending_approval' || !d.approval) return undefined;
      const { attempts: _previewAttempts, ...rest } = d;
      const next: DeploymentRecord = {
        ...rest,
        status: 'queued',
        // The preview's job has completed; the apply is a job of its own, and a fresh start.
        job: `${id}-apply`,
        approval: { ...d.approval, approvedBy: approver, approvedAt: now() },
      };
      return {
        next,
        ops: 'wJ',
        lineScore,
        events: [['deployment', { status: 'queued', approvedBy: approver }]],
      };
    });
    if (!changed) return undefined;
    await this.addJob(id, `${id}-apply`);
    return record;
  }

  async reject(id: string, rejecter: string): Promise<DeploymentRecord | undefined> {
    const current = await this.get(id);
    if (!current?.approval || current.status !== 'pending_approval') return undefined;
    return this.endWaiting(id, 'cancelled', {
      approval: { ...current.approval, rejectedBy: rejecter, rejectedAt: now() },
      error: `rejected by ${rejecter}`,
    });
  }

  /**
   * Cancels a deployment. One that waits ends at once; for one that runs the request is
   * recorded first (whoever runs it, now or after a restart, reads it) and then announced.
   */
  async requestCancel(id: string, by: string): Promise<DeploymentRecord> {
    const ended = await this.endWaiting(id, 'cancelled', { error: `cancelled by ${by}` });
    if (ended) return ended;
    const record = await this.get(id);
    if (!record) throw new NotFoundError(`deployment "${id}" not found`);
    if (isFinal(record)) throw new ConflictError(`deployment ${id} already ended ${record.status}`);
    await this.redis.set(this.keys.deploymentCancel(id), by, 'EX', EVENT_RETENTION_SECONDS);
    await this.redis.publish(this.keys.cancelChannel(), id);
    return record;
  }

  /**
   * Starts an attempt at a deployment for job `jobId`: takes the environment when it is this
   * deployment's turn, or resumes a deployment whose previous attempt's holder died. `worker`
   * names the worker process that runs the attempt, on the record and in its `running` event.
   */
  async begin(id: string, jobId: string, worker?: string): Promise<BeginResult> {
    for (let round = 0; round < 50; round++) {
      const raw = await this.redis.get(this.keys.deployment(id));
      if (raw === null) return { kind: 'done' };
      const d = JSON.parse(raw) as DeploymentRecord;
      if (isFinal(d) || d.status === 'pending_approval') return { kind: 'done' };
      if (d.job && d.job !== jobId) return { kind: 'done' };
      const resumed = d.status === 'running';
      const attempts = (d.attempts ?? 0) + 1;
      if (resumed && attempts > MAX_ATTEMPTS) {
        const ended = await this.endOrphan(id, 'failed', gaveUp(d)).catch((error: unknown) => {
          if (!(error instanceof FencedError)) throw error;
          return undefined;
        });
        return ended ? { kind: 'done', gaveUp: ended } : { kind: 'done' };
      }
      const next: DeploymentRecord = {
        ...d,
        status: 'running',
        startedAt: d.startedAt ?? now(),
        attempts,
        ...(worker ? { worker } : {}),
      };
      const by = worker ? { worker } : {};
      const event = resumed
        ? { status: 'running', attempt: attempts, resumed: true, ...by }
        : { status: 'running', operation: d.operation, layers: d.layers, ...by };
      const token = `${id}:${randomBytes(12).toString('base64url')}`;
      const k = this.keys;
      const takenAt = performance.now();
      const result = Number(
        await takeTurnScript.run(
          this.redis,
          [
            k.deployment(id),
            k.environmentQueue(d.environment),
            k.environmentCurrent(d.environment),
            k.environmentLease(d.environment),
            k.events(id),
            k.eventSequence(id),
            k.deploymentCancel(id),
            k.notificationOutbox(),
          ],
          [
            id,
            raw,
            JSON.stringify(next),
            token,
            LEASE_MS,
            resumed ? '' : JSON.stringify(outboxEntry('deployment.started', next)),
            'deployment',
            JSON.stringify(event),
          ],
        ),
      );
      if (result === -2) return { kind: 'wait' };
      if (result === 0) continue;
      const attempt = new Attempt(this, next, token, takenAt + LEASE_MS);
      if (result === 2) attempt.cancelRequested = true;
      return { kind: 'started', attempt };
    }
    return { kind: 'wait' };
  }

  /** Ends a deployment whose holder died; refused (FencedError) while a live attempt holds it. */
  async endOrphan(
    id: string,
    status: Extract<DeploymentStatus, 'failed' | 'cancelled'>,
    error: string,
  ): Promise<DeploymentRecord | undefined> {
    const { record, changed } = await this.change(id, (d) => {
      if (isFinal(d)) return undefined;
      const next: DeploymentRecord = {
        ...d,
        status,
        error,
        finishedAt: now(),
        layerRuns: closeLayerRuns(d, status === 'cancelled' ? 'cancelled' : 'failed'),
      };
      return { next, ops: 'X', events: endEvents(next) };
    });
    if (!changed) return undefined;
    await this.counted(record);
    return record;
  }

  /**
   * Forgets the environment's ended deployments (records and event streams) beyond the newest
   * `maxPerEnvironment` or older than `maxAgeMs`, never one that has not ended nor the newest
   * ended one. Returns how many were forgotten.
   */
  async trimHistory(environment: string, at = Date.now()): Promise<number> {
    const removed = await trimHistoryScript.run(
      this.redis,
      [this.keys.environmentDeployments(environment)],
      [
        this.keys.deployment(''),
        this.keys.events(''),
        this.retention.maxPerEnvironment,
        at - this.retention.maxAgeMs,
        ...FINAL_STATUSES,
      ],
    );
    return Number(removed);
  }

  /** The deployment has ended whatever happens here: a failed trim waits for the next one. */
  private async trimHistoryQuietly(environment: string): Promise<void> {
    await this.trimHistory(environment).catch(() => undefined);
  }

  /** Counts an ended deployment in the installation's metrics; never fails the caller. */
  async counted(record: DeploymentRecord, env?: Pick<EnvironmentRecord, 'layers'>): Promise<void> {
    const known = env ?? (await this.environmentLayersOf(record.environment));
    await recordDeploymentEndQuietly(this.redis, this.queueName, record, known);
  }

  /** An environment's layers, for the targets the metrics are labelled with; never fails. */
  async environmentLayersOf(name: string): Promise<Pick<EnvironmentRecord, 'layers'> | undefined> {
    const raw = await this.redis.get(this.keys.environment(name)).catch(() => null);
    return raw === null ? undefined : (JSON.parse(raw) as Pick<EnvironmentRecord, 'layers'>);
  }

  /**
   * Gives a deployment a new job: one queued whose job was lost, or one running whose holder
   * died. The old job, if it ever runs again, finds it answers for nothing.
   */
  async requeue(
    id: string,
    expectedJob: string | undefined,
  ): Promise<DeploymentRecord | undefined> {
    const job = `${id}-${randomBytes(4).toString('hex')}`;
    const { record, changed } = await this.change(id, (d) => {
      if (d.status !== 'queued' && d.status !== 'running') return undefined;
      // Someone requeued it already.
      if (d.job !== expectedJob) return undefined;
      return { next: { ...d, job } };
    });
    if (!changed) return undefined;
    await this.addJob(id, job);
    return record;
  }

  /**
   * Gives the environment to the first deployment in its line as soon as it frees: that
   * deployment's job waits delayed (see waitForTurn) and is moved to run now, rather than when
   * its delay ends. Never fails the caller: the delay is the safety net.
   */
  async handOff(environment: string): Promise<void> {
    try {
      const [held, [head]] = await Promise.all([
        this.redis.exists(this.keys.environmentCurrent(environment)),
        this.redis.zrange(this.keys.environmentQueue(environment), '0', '0'),
      ]);
      // A waiting deployment that ended freed nothing while another one holds the environment.
      if (held === 1 || head === undefined) return;
      const next = await this.get(head);
      if (next?.status !== 'queued' || !next.job) return;
      const job = await this.queue.getJob(next.job);
      // Only a delayed job can be promoted; one still being taken promotes itself (waitForTurn).
      if (job && (await job.isDelayed())) await job.promote();
    } catch {
      // Raced with the job's own move (it ran, or it promoted itself), or Redis failed.
    }
  }

  /**
   * Parks the job of a deployment that is not first in its environment's line or whose
   * environment is taken, until handOff moves it on (or `retryMs` pass, should nothing free the
   * environment through a transition, as when the reconciler repairs a slot). The caller then
   * throws BullMQ's DelayedError.
   */
  async waitForTurn(job: Job<DeployJobData>, token: string | undefined, retryMs: number) {
    await job.moveToDelayed(Date.now() + retryMs, token);
    // The environment may have freed between begin() and the move, when handOff found this job
    // still active and left it: it was not promoted, so it promotes itself.
    const record = await this.get(job.data.deploymentId);
    if (!record || record.status !== 'queued') return;
    const [current, [head]] = await Promise.all([
      this.redis.get(this.keys.environmentCurrent(record.environment)),
      this.redis.zrange(this.keys.environmentQueue(record.environment), '0', '0'),
    ]);
    if (current === null && head === record.id) await job.promote().catch(() => undefined);
  }

  /** Whether the environment's current deployment has a live attempt. */
  async holderAlive(environment: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.environmentLease(environment))) === 1;
  }

  async cancelRequestedBy(id: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.deploymentCancel(id))) ?? undefined;
  }

  /** 1 for the next deployment of its environment, 2 for the one after, …; undefined when not waiting. */
  async queuePosition(deployment: DeploymentRecord): Promise<number | undefined> {
    if (deployment.status !== 'queued') return undefined;
    const rank = await this.redis.zrank(
      this.keys.environmentQueue(deployment.environment),
      deployment.id,
    );
    return rank === null ? undefined : rank + 1;
  }

  /** Whether a deployment has the environment or waits for it. */
  async isBusy(environment: string): Promise<boolean> {
    const [current, waiting] = await Promise.all([
      this.redis.exists(this.keys.environmentCurrent(environment)),
      this.redis.zcard(this.keys.environmentQueue(environment)),
    ]);
    return current === 1 || waiting > 0;
  }

  async waitingCount(environment: string): Promise<number> {
    return this.redis.zcard(this.keys.environmentQueue(environment));
  }

  async close(): Promise<void> {
    await this.queue.close();
  }

  // For attempts only.

  async renewLease(d: DeploymentRecord, token: string): Promise<[boolean, boolean]> {
    const [held, cancel] = (await renewLeaseScript.run(
      this.redis,
      [this.keys.environmentLease(d.environment), this.keys.deploymentCancel(d.id)],
      [token, LEASE_MS],
    )) as [number, number];
    return [held === 1, cancel === 1];
  }

  async releaseLease(d: DeploymentRecord, token: string): Promise<void> {
    await releaseLeaseScript.run(this.redis, [this.keys.environmentLease(d.environment)], [token]);
  }
}

function endEvents(d: DeploymentRecord): Event[] {
  return [
    [
      'deployment',
      {
        status: d.status,
        ...(d.supersededBy ? { supersededBy: d.supersededBy } : {}),
        ...(d.error ? { error: d.error } : {}),
      },
    ],
    ['end', { status: d.status }],
  ];
}

/** Why a deployment whose attempts all died ends `failed`. */
export function gaveUp(d: DeploymentRecord): string {
  return `gave up after ${d.attempts ?? 0} attempts: each time, the worker running it stopped (killed, crashed or cut off from Redis) before it ended`;
}

/** Layers an interrupted deployment left pending or running end as `status`. */
function closeLayerRuns(
  d: DeploymentRecord,
  status: 'failed' | 'cancelled',
): DeploymentRecord['layerRuns'] {
  const runs: DeploymentRecord['layerRuns'] = {};
  for (const [layer, run] of Object.entries(d.layerRuns) as [
    LayerName,
    NonNullable<DeploymentRecord['layerRuns'][LayerName]>,
  ][]) {
    runs[layer] =
      run.status === 'pending' || run.status === 'running'
        ? { ...run, status: run.status === 'pending' ? 'skipped' : status, finishedAt: now() }
        : run;
  }
  return runs;
}

/**
 * One worker's attempt at a deployment. It holds the environment through a lease with a
 * fencing token, and every write it makes is refused (FencedError) once the lease is lost.
 */
export class Attempt {
  cancelRequested = false;
  private released = false;

  constructor(
    private readonly lifecycle: DeploymentLifecycle,
    public record: DeploymentRecord,
    readonly token: string,
    /** performance.now() before which the lease certainly holds, as of the last renewal. */
    public leaseValidUntil: number,
  ) {}

  get id(): string {
    return this.record.id;
  }

  get number(): number {
    return this.record.attempts ?? 1;
  }

  /** Extends the lease; false once it was lost. Notes a cancel request. */
  async renew(): Promise<boolean> {
    const started = performance.now();
    const [held, cancel] = await this.lifecycle.renewLease(this.record, this.token);
    if (cancel) this.cancelRequested = true;
    if (held) this.leaseValidUntil = started + LEASE_MS;
    return held;
  }

  /** A fenced change of the running deployment's record. */
  async update(mutate: (d: DeploymentRecord) => DeploymentRecord, events: Event[] = []) {
    const { record } = await this.lifecycle.change(
      this.id,
      (d) => ({ next: mutate(d), events }),
      this.token,
    );
    this.record = record;
    return record;
  }

  /** Holds the previewed deployment for a decision and frees the environment meanwhile. */
  async holdForApproval(approval: NonNullable<DeploymentRecord['approval']>): Promise<void> {
    const changes = Object.fromEntries(
      Object.entries(this.record.layerRuns).map(([layer, run]) => [layer, run?.changes ?? {}]),
    );
    const { record } = await this.lifecycle.change(
      this.id,
      (d) => ({
        next: { ...d, status: 'pending_approval', approval },
        ops: 'W',
        events: [['deployment', { status: 'pending_approval', changes }]],
      }),
      this.token,
    );
    this.record = record;
    this.released = true;
  }

  /**
   * Ends the deployment, frees the environment and ends the event stream, in one step. With
   * `forget` (a whole-environment destroy that succeeded) the environment's record goes in the
   * same step, so the destroy never shows as succeeded while the environment is still listed.
   */
  async finish(
    status: Extract<DeploymentStatus, 'succeeded' | 'failed' | 'cancelled'>,
    details: Partial<DeploymentRecord> = {},
    options: { forget?: boolean } = {},
  ): Promise<DeploymentRecord> {
    // Read while it is there: a forgetting end removes the record the metrics' labels come from.
    const forgotten = options.forget
      ? await this.lifecycle.environmentLayersOf(this.record.environment)
      : undefined;
    const { record } = await this.lifecycle.change(
      this.id,
      (d) => {
        const next: DeploymentRecord = { ...d, ...details, status, finishedAt: now() };
        if (status !== 'succeeded') {
          next.layerRuns = closeLayerRuns(next, status === 'cancelled' ? 'cancelled' : 'failed');
        }
        const forget = options.forget === true && status === 'succeeded';
        return { next, ops: forget ? 'XF' : 'X', events: endEvents(next) };
      },
      this.token,
    );
    this.record = record;
    this.released = true;
    await this.lifecycle.counted(record, forgotten);
    return record;
  }

  /**
   * Lets go of the environment without ending the deployment, so another attempt resumes it at
   * once (the worker is shutting down, or this attempt failed in a way a retry can mend).
   */
  async release(): Promise<void> {
    if (this.released) return;
    this.released = true;
    await this.lifecycle.releaseLease(this.record, this.token);
  }

  async cancelledBy(): Promise<string> {
    return (await this.lifecycle.cancelRequestedBy(this.id)) ?? 'api';
  }
}
