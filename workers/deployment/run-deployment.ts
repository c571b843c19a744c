import type { Attempt } from '../../core/deployment-lifecycle';
import { newDeployment } from '../../core/deployment-lifecycle';
import type {
  DeploymentRecord,
  EnvironmentRecord,
  LayerName,
  LayerState,
  PlannedStep,
  StackOutputs,
} from '../../core/domain';
import { FencedError } from '../../core/errors';
import { visibleOutputs } from '../../catalogue/bundle-entries';
import { layerDefinition } from '../../catalogue/layer-catalogue';
import { resolveLayerConfig } from '../../programs/lib/config';
import type { WorkerContext } from '../context';
import { engineSecrets } from '../engine/engine-pool';
import { LayerFailedError, runLayer } from '../engine/run-layer';
import type { LeaseKeeper } from '../lease-keeper';
import { walkLayers, type LayerOutcome } from './graph-walk';
import { environmentStatus, extendTtl, Recorder } from './record';

/**
 * Runs an attempt's deployment to its end: walks the layer graph, records each layer's result,
 * and ends the deployment. Throws FencedError when the attempt lost its environment, in which
 * case it wrote nothing after losing it and another attempt takes over.
 */
export async function runDeployment(
  ctx: WorkerContext,
  attempt: Attempt,
  lease: LeaseKeeper,
): Promise<void> {
  const deployment = attempt.record;
  const log = ctx.logger.child({ deployment: deployment.id, environment: deployment.environment });
  const record = new Recorder(ctx, attempt);
  const fencedOut = (): boolean => lease.lost;

  if (attempt.cancelRequested) {
    await attempt.finish('cancelled', { error: `cancelled by ${await attempt.cancelledBy()}` });
    return;
  }
  let environment = await ctx.store.getEnvironment(deployment.environment);
  if (!environment) {
    await attempt.finish('failed', {
      error: `environment "${deployment.environment}" no longer exists`,
    });
    return;
  }
  log.info(
    { operation: deployment.operation, layers: deployment.layers, attempt: attempt.number },
    'deployment started',
  );
  const destroying = deployment.operation === 'destroy';
  // Environments that require approval preview an `up` or a destroy first and hold it for a
  // decision; a destroy because the TTL ran out is not held (the TTL was the decision).
  const needsApproval =
    environment.requireApproval &&
    !deployment.approval?.approvedBy &&
    (deployment.operation === 'up' || (destroying && deployment.trigger.kind !== 'ttl'));
  const operation = needsApproval
    ? destroying
      ? 'preview-destroy'
      : 'preview'
    : deployment.operation;
  const changesState =
    operation !== 'preview' && operation !== 'preview-destroy' && operation !== 'drift';
  if (changesState && (destroying || operation === 'up')) {
    environment = await record.environment((e) => ({
      ...e,
      status: destroying ? 'destroying' : 'provisioning',
    }));
  }
  // An approved apply runs the layers and config the approver saw.
  const approvedLayers = deployment.approval?.approvedBy ? deployment.approval.layers : undefined;
  const current: EnvironmentRecord = approvedLayers
    ? { ...environment, layers: approvedLayers }
    : environment;
  const outputs: Partial<Record<LayerName, StackOutputs>> = {
    ...((await ctx.store.getBundle(current.name))?.outputs ?? {}),
  };
  const plannedSteps: Partial<Record<LayerName, PlannedStep[]>> = {};
  let drift = false;
  let failure: string | undefined;

  const runOne = async (layer: LayerName): Promise<LayerOutcome> => {
    const startedAt = new Date().toISOString();
    await record.layerRun(layer, { status: 'running', startedAt });
    try {
      const result = await runLayer(
        {
          deploymentId: deployment.id,
          environment: current.name,
          stage: current.stage,
          layer,
          target: layerSpec(current, layer).target,
          operation,
          config: layerConfig(current, layer),
          inputs: outputs,
          dataDir: ctx.settings.dataDir,
          bucketsDir: ctx.settings.bucketsDir,
          localPostgresUrl: ctx.settings.localPostgresUrl,
          backendUrl: ctx.settings.backendUrl,
          recover: attempt.number > 1,
          ...stackKnown(environment.layerStates[layer], attempt.number),
          ...(deployment.refresh === false ? { refresh: false as const } : {}),
          ...expectedSteps(deployment, operation, layer),
        },
        {
          onEvent: (event) => record.engineEvent(layer, event),
          signal: lease.signal,
          env: engineSecrets(ctx.settings),
          ...(ctx.cliVersion ? { cliVersion: ctx.cliVersion } : {}),
          timeoutMs: ctx.settings.layerTimeoutMs,
          lease,
          ...(ctx.engines ? { engines: ctx.engines } : {}),
        },
      );
      if (fencedOut()) throw new FencedError('the attempt lost its environment');
      if (result.steps) plannedSteps[layer] = result.steps;
      if (changesState) {
        if (destroying) delete outputs[layer];
        else if (result.outputs) outputs[layer] = result.outputs;
      }
      if (result.drift) drift = true;
      await record.layerRun(layer, {
        status: 'succeeded',
        startedAt,
        finishedAt: new Date().toISOString(),
        changes: result.changes,
        ...(result.drift !== undefined
          ? { drift: result.drift, driftedResources: result.driftedResources }
          : {}),
      });
      // Previews and drift checks change nothing, so the layer's recorded state stays.
      if (changesState) {
        await record.layerState(layer, {
          status: destroying ? 'destroyed' : 'ready',
          outputs: visibleOutputs(destroying ? undefined : outputs[layer]),
        });
      }
      return 'succeeded';
    } catch (error) {
      if (error instanceof FencedError || fencedOut()) throw new FencedError(String(error));
      const cancelled = error instanceof LayerFailedError && error.stopped === 'cancelled';
      const message = error instanceof Error ? error.message : String(error);
      if (!cancelled) failure ??= `${layer}: ${message}`;
      await record.layerRun(layer, {
        status: cancelled ? 'cancelled' : 'failed',
        startedAt,
        finishedAt: new Date().toISOString(),
        error: message,
      });
      await record.layerState(layer, { status: 'failed' });
      return cancelled ? 'cancelled' : 'failed';
    }
  };

  const outcome = await walkLayers(deployment.layers, destroying ? 'backward' : 'forward', {
    run: runOne,
    skip: async (layer, because) => {
      await record.layerRun(layer, { status: because === 'cancelled' ? 'cancelled' : 'skipped' });
    },
    stopped: () => lease.signal.aborted,
  });
  await record.flushed();
  if (fencedOut()) throw new FencedError('the attempt lost its environment');

  if (needsApproval && outcome === 'succeeded') {
    await attempt.holdForApproval({
      requestedAt: new Date().toISOString(),
      plannedSteps,
      layers: current.layers,
    });
    log.info('deployment previewed and held for approval');
    return;
  }
  if (operation === 'up' || operation === 'refresh' || destroying) await record.bundle(outputs);
  const status = outcome === 'succeeded' ? 'succeeded' : outcome;
  const forget = deployment.forget === true && status === 'succeeded';
  const driftFound: Partial<EnvironmentRecord> =
    operation === 'drift' && status === 'succeeded'
      ? {
          drift,
          driftedResources: Object.entries(attempt.record.layerRuns).flatMap(([layer, run]) =>
            (run?.driftedResources ?? []).map((r) => ({ layer: layer as LayerName, ...r })),
          ),
          driftCheckedAt: new Date().toISOString(),
        }
      : {};
  // A successful up brings the stacks back in line with the code: it clears earlier drift. One
  // that skipped the refresh never looked at the live resources, so it repaired nothing.
  const repaired = operation === 'up' && status === 'succeeded' && deployment.refresh !== false;
  await record.environment((e) => ({
    ...e,
    ...(repaired && e.drift ? { drift: false, driftedResources: [] } : {}),
    ...driftFound,
    status: environmentStatus(e),
  }));
  const error =
    status === 'cancelled'
      ? `cancelled by ${await attempt.cancelledBy()}`
      : status === 'failed'
        ? failure
        : undefined;
  // What still waits for a destroyed environment cannot run: it ends before the destroy does.
  if (forget) await endWaitingFor(ctx, current.name);
  // While the environment is still held: an expiry check that came between the end and the
  // extension would find it free and its expiry not yet moved, and destroy what was just
  // redeployed; and a worker dying there would leave the old expiry in place.
  if (operation === 'up') await extendTtl(ctx, current.name);
  await attempt.finish(
    status,
    {
      ...(error ? { error } : {}),
      ...(operation === 'drift' ? { drift } : {}),
    },
    { forget },
  );
  log.info({ status }, 'deployment finished');

  if (forget) {
    // The record went with the finish; what else Strata kept about the environment goes now.
    await ctx.store.deleteEnvironment(current.name, current);
    await ctx.maintenance.forget(current.name);
    return;
  }
  if (operation === 'drift' && drift && current.driftPolicy?.autoRemediate) {
    const remedy = newDeployment(current, 'up', { kind: 'drift' }, { layers: deployment.layers });
    await ctx.lifecycle.enqueue(remedy);
    log.info({ remedy: remedy.id }, 'drift found: queued an up to remediate');
  }
}

/** Ends what waits for an environment being destroyed: it cannot run. */
async function endWaitingFor(ctx: WorkerContext, name: string): Promise<void> {
  const waiting = await ctx.redis.zrange(ctx.keys.environmentQueue(name), '0', '-1');
  const held = await ctx.redis.smembers(ctx.keys.environmentAwaiting(name));
  for (const id of [...waiting, ...held]) {
    await ctx.lifecycle.endWaiting(id, 'cancelled', {
      error: `environment "${name}" was destroyed before this deployment could run`,
    });
  }
}

function layerSpec(environment: EnvironmentRecord, layer: LayerName) {
  const spec = environment.layers[layer];
  if (!spec) throw new Error(`the environment has no ${layer} layer`);
  return spec;
}

function layerConfig(environment: EnvironmentRecord, layer: LayerName) {
  const spec = layerSpec(environment, layer);
  const definition = layerDefinition(layer, spec.target);
  return resolveLayerConfig(definition, environment.stage, spec.config);
}

/**
 * What the record says of a layer's stack (LayerTask.stackExists). A layer an `up` left ready
 * has its stack (a destroy removes the stack with the resources); one no deployment finished on
 * has none, unless an interrupted attempt of this one got as far as creating it. After a failure
 * anything may be true.
 */
function stackKnown(state: LayerState | undefined, attempt: number): { stackExists?: boolean } {
  if (attempt > 1) return {};
  if (state?.status === 'ready') return { stackExists: true };
  if (!state || state.status === 'absent' || state.status === 'destroyed') {
    return { stackExists: false };
  }
  return {};
}

/** For an approved `up`: a fresh preview must announce exactly the steps the approver saw. */
function expectedSteps(deployment: DeploymentRecord, operation: string, layer: LayerName) {
  const approved = operation === 'up' || operation === 'destroy' ? deployment.approval : undefined;
  return approved?.approvedBy ? { expectedSteps: approved.plannedSteps[layer] ?? [] } : {};
}
