import type { Logger } from 'pino';
import type { Attempt } from '../core/deployment-lifecycle';
import { LEASE_MS } from '../core/deployment-lifecycle';
import { ENGINE_STOP_GRACE_MS } from './engine/layer-task';
import type { LeaseFeed, StopReason } from './engine/run-layer';

/** How often an attempt renews its lease. */
const RENEW_EVERY_MS = LEASE_MS / 5;
/**
 * Kept between the end of the lease in Redis and the time this attempt's engines must be gone:
 * covers clock drift and the delay of passing a renewal on to an engine process.
 */
const SAFETY_MS = 1_500;

function withTimeout<T>(work: Promise<T>, ms: number): Promise<T> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => reject(new Error(`no answer from Redis in ${ms} ms`)), ms);
    work.then(
      (value) => {
        clearTimeout(timer);
        resolve(value);
      },
      (error: unknown) => {
        clearTimeout(timer);
        reject(error instanceof Error ? error : new Error(String(error)));
      },
    );
  });
}

/**
 * Keeps an attempt's lease and says when its engines must stop: on a cancel request, when the
 * lease was lost, or when it could not be renewed in time (Redis away, or this process stalled).
 * Engines get every renewal through `onRenew` and stop by themselves when none comes.
 */
export class LeaseKeeper implements LeaseFeed {
  private readonly controller = new AbortController();
  private readonly listeners = new Set<() => void>();
  private readonly timers: NodeJS.Timeout[];
  private renewing = false;

  constructor(
    private readonly attempt: Attempt,
    private readonly log: Logger,
  ) {
    this.timers = [
      setInterval(() => void this.renew(), RENEW_EVERY_MS),
      setInterval(() => {
        if (this.validForMs() <= ENGINE_STOP_GRACE_MS) {
          this.stop(
            'fenced',
            'could not renew its lease in time (Redis unreachable, or this worker stalled)',
          );
        }
      }, 200),
    ];
    if (attempt.cancelRequested) queueMicrotask(() => this.stop('cancelled'));
  }

  /** Aborted with the StopReason once the attempt must stop its engines. */
  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get stopped(): StopReason | undefined {
    return this.controller.signal.reason as StopReason | undefined;
  }

  /** The attempt may no longer write: its lease is gone or going, or its worker is leaving. */
  get lost(): boolean {
    return this.stopped === 'fenced';
  }

  /** This worker is shutting down: the deployment is left for another attempt to resume. */
  interrupted = false;

  validForMs(): number {
    return Math.max(0, this.attempt.leaseValidUntil - SAFETY_MS - performance.now());
  }

  onRenew(listener: () => void): () => void {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Stops the engines; a later, harder reason does not undo an earlier one. */
  stop(reason: StopReason, why?: string): void {
    if (this.controller.signal.aborted) return;
    if (why) this.log.warn({ deployment: this.attempt.id, reason }, `stopping: ${why}`);
    this.controller.abort(reason);
  }

  /** The worker is shutting down: stop the engines and leave the deployment to be resumed. */
  interrupt(): void {
    this.interrupted = true;
    this.stop('fenced', 'this worker is shutting down; another attempt resumes the deployment');
  }

  private async renew(): Promise<void> {
    if (this.renewing || this.lost) return;
    this.renewing = true;
    try {
      const held = await withTimeout(this.attempt.renew(), RENEW_EVERY_MS);
      if (!held) {
        this.stop('fenced', 'another attempt holds the environment now');
        return;
      }
      for (const listener of this.listeners) listener();
      if (this.attempt.cancelRequested) this.stop('cancelled');
    } catch (error) {
      this.log.warn({ err: error, deployment: this.attempt.id }, 'could not renew the lease yet');
    } finally {
      this.renewing = false;
    }
  }

  close(): void {
    for (const timer of this.timers) clearInterval(timer);
    this.listeners.clear();
  }
}
