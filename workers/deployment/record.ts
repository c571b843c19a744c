import type { Attempt } from '../../core/deployment-lifecycle';
import { FencedError, NotFoundError } from '../../core/errors';
import type {
  DeploymentRecord,
  EnvironmentRecord,
  LayerName,
  LayerRun,
  LayerState,
  StackOutputs,
} from '../../core/domain';
import { expiryAfter } from '../../core/maintenance';
import type { Fence } from '../../core/store';
import { bundleEntries } from '../../catalogue/bundle-entries';
import type { WorkerContext } from '../context';

/**
 * Records what an attempt did, fenced by its lease: once the lease is lost every write here
 * fails with FencedError and nothing of this attempt lands over its successor's.
 */
export class Recorder {
  readonly fence: Fence;
  /** Engine events and layer records are written in the order they happen. */
  private chain: Promise<unknown> = Promise.resolve();

  constructor(
    private readonly ctx: WorkerContext,
    private readonly attempt: Attempt,
  ) {
    this.fence = {
      key: ctx.keys.environmentLease(attempt.record.environment),
      token: attempt.token,
    };
  }

  private inOrder<T>(work: () => Promise<T>): Promise<T> {
    const run = this.chain.then(work, work);
    this.chain = run.catch(() => undefined);
    return run;
  }

  engineEvent(layer: LayerName, event: unknown): void {
    void this.inOrder(() =>
      this.ctx.events.append(this.attempt.id, 'engine', { layer, ...(event as object) }),
    ).catch((error: unknown) => {
      this.ctx.logger.error(
        { err: error, deployment: this.attempt.id },
        'could not record an event',
      );
    });
  }

  layerRun(layer: LayerName, run: LayerRun): Promise<unknown> {
    return this.inOrder(() =>
      this.attempt.update(
        (d) => ({ ...d, layerRuns: { ...d.layerRuns, [layer]: run } }),
        [['layer', { layer, ...run }]],
      ),
    );
  }

  environment(mutate: (e: EnvironmentRecord) => EnvironmentRecord | undefined) {
    return this.ctx.store.updateEnvironment(this.attempt.record.environment, mutate, this.fence);
  }

  /** Where a layer stands after this deployment touched it. */
  layerState(
    layer: LayerName,
    state: { status: LayerState['status']; outputs?: Record<string, unknown> },
  ): Promise<EnvironmentRecord> {
    return this.environment((e) => {
      const previous = e.layerStates[layer];
      const target = e.layers[layer]?.target ?? previous?.target;
      if (!target) return undefined;
      return {
        ...e,
        layerStates: {
          ...e.layerStates,
          [layer]: {
            target,
            outputs: state.outputs ?? previous?.outputs ?? {},
            status: state.status,
            updatedAt: new Date().toISOString(),
            lastDeployment: this.attempt.id,
          },
        },
      };
    });
  }

  async bundle(outputs: Partial<Record<LayerName, StackOutputs>>): Promise<void> {
    const name = this.attempt.record.environment;
    const env = await this.ctx.store.getEnvironment(name);
    if (!env) return;
    if (Object.keys(outputs).length === 0) {
      await this.ctx.store.deleteBundle(name);
      return;
    }
    await this.ctx.store.saveBundle({
      environment: name,
      generatedAt: new Date().toISOString(),
      entries: bundleEntries(env, outputs),
      outputs,
    });
  }

  /** Events and layer records still being written. */
  flushed(): Promise<unknown> {
    return this.inOrder(() => Promise.resolve());
  }
}

export function environmentStatus(env: EnvironmentRecord): EnvironmentRecord['status'] {
  const states = Object.values(env.layerStates);
  if (states.some((s) => s?.status === 'failed')) return 'failed';
  if (states.length > 0 && states.every((s) => s?.status === 'destroyed')) return 'destroyed';
  if (states.some((s) => s?.status === 'ready')) return 'ready';
  return env.status === 'provisioning' ? 'failed' : env.status;
}

/**
 * A deployment ended without a live attempt (its attempts all died, or it was cancelled while its
 * worker was dead) leaves the environment saying what that attempt was doing: `provisioning` or
 * `destroying`, the layers it was running as they were before. An up or a destroy may have
 * changed any layer it was running, so those are failed and the environment's status follows
 * from its layers. Nothing is written once another deployment holds the environment: its own end
 * says what is true then.
 */
export async function settleOrphaned(ctx: WorkerContext, ended: DeploymentRecord): Promise<void> {
  if (ended.operation !== 'up' && ended.operation !== 'destroy') return;
  const interrupted = (Object.keys(ended.layerRuns) as LayerName[]).filter((layer) => {
    const status = ended.layerRuns[layer]?.status;
    return status === 'failed' || status === 'cancelled';
  });
  const unheld: Fence = { key: ctx.keys.environmentLease(ended.environment), token: null };
  try {
    await ctx.store.updateEnvironment(
      ended.environment,
      (e) => {
        if (e.status !== 'provisioning' && e.status !== 'destroying') return undefined;
        const layerStates = { ...e.layerStates };
        for (const layer of interrupted) {
          const state = layerStates[layer];
          if (!state || state.status === 'failed') continue;
          layerStates[layer] = {
            ...state,
            status: 'failed',
            updatedAt: new Date().toISOString(),
            lastDeployment: ended.id,
          };
        }
        const next = { ...e, layerStates };
        return { ...next, status: environmentStatus(next) };
      },
      unheld,
    );
  } catch (error) {
    // Another deployment holds the environment now, or it is gone: nothing stale to settle.
    if (error instanceof FencedError || error instanceof NotFoundError) return;
    throw error;
  }
}

/** A redeploy pushes the environment's expiry back by its TTL. */
export async function extendTtl(ctx: WorkerContext, name: string): Promise<void> {
  const env = await ctx.store.getEnvironment(name);
  if (!env?.ttl) return;
  const expiresAt = expiryAfter(env, new Date());
  const updated = await ctx.store.updateEnvironment(name, (e) => ({ ...e, expiresAt }));
  await ctx.maintenance.scheduleExpiry(updated);
}
