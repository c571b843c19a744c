import { DelayedError, type Job } from 'bullmq';
import { newDeployment, type DeployJobData } from '../../core/deployments';
import { expiryAfter } from '../../core/maintenance';
import { recordDeploymentEndQuietly } from '../../core/metrics';
import {
  FINAL_STATUSES,
  type DeploymentRecord,
  type DeploymentStatus,
  type EnvironmentRecord,
  type LayerName,
  type LayerRun,
  type LayerState,
  type PlannedStep,
  type StackOutputs,
} from '../../core/domain';
import type { EventKind } from '../../core/event-log';
import { layerGroups } from '../../core/layer-graph';
import { bundleEntries, visibleOutputs } from '../../programs/bundle-entries';
import { findLayer } from '../../programs/catalogue';
import { resolveLayerConfig } from '../../programs/config';
import { LayerFailedError, runLayer } from '../engine/run-layer';
import type { WorkerContext } from '../context';

/** How long a worker holds an environment without renewing; renewed every third of it. */
const TURN_TTL_MS = 30_000;
/** How soon a deployment waiting for its environment asks again. */
const WAIT_FOR_TURN_MS = 1_000;

export function deployProcessor(ctx: WorkerContext) {
  return async (job: Job<DeployJobData>, token?: string): Promise<void> => {
    const deployment = await ctx.store.getDeployment(job.data.deploymentId);
    if (
      !deployment ||
      FINAL_STATUSES.has(deployment.status) ||
      deployment.status === 'pending_approval'
    ) {
      return;
    }
    const resume = deployment.status === 'running';
    if (!(await ctx.deployments.takeTurn(deployment, TURN_TTL_MS, resume))) {
      // Another deployment holds the environment or is ahead in its line: wait, never fail.
      await job.moveToDelayed(Date.now() + WAIT_FOR_TURN_MS, token);
      throw new DelayedError();
    }
    const renew = setInterval(() => {
      ctx.deployments.renewTurn(deployment, TURN_TTL_MS).catch((error: unknown) => {
        ctx.logger.warn(
          { err: error, deployment: deployment.id },
          'could not renew the environment lock',
        );
      });
    }, TURN_TTL_MS / 3);
    const abort = new AbortController();
    ctx.running.set(deployment.id, abort);
    try {
      await execute(ctx, deployment, abort.signal);
    } finally {
      clearInterval(renew);
      ctx.running.delete(deployment.id);
      await ctx.deployments.releaseTurn(deployment);
    }
  };
}

/** Appends events in the order they happen, even though each append is asynchronous. */
function serialAppender(ctx: WorkerContext, deploymentId: string) {
  let chain: Promise<unknown> = Promise.resolve();
  const append = (kind: EventKind, data: unknown): Promise<unknown> => {
    chain = chain
      .then(() => ctx.events.append(deploymentId, kind, data))
      .catch((error: unknown) => {
        ctx.logger.error({ err: error, deployment: deploymentId }, 'could not record an event');
      });
    return chain;
  };
  return append;
}

async function execute(
  ctx: WorkerContext,
  initial: DeploymentRecord,
  signal: AbortSignal,
): Promise<void> {
  const append = serialAppender(ctx, initial.id);
  const log = ctx.logger.child({ deployment: initial.id, environment: initial.environment });
  let env = await ctx.store.getEnvironment(initial.environment);
  if (!env) {
    await finish(
      ctx,
      initial.id,
      'failed',
      `environment "${initial.environment}" no longer exists`,
      append,
    );
    return;
  }
  const deployment = await ctx.store.updateDeployment(initial.id, (d) =>
    FINAL_STATUSES.has(d.status)
      ? undefined
      : { ...d, status: 'running', startedAt: d.startedAt ?? new Date().toISOString() },
  );
  if (FINAL_STATUSES.has(deployment.status)) return;
  await append('deployment', {
    status: 'running',
    operation: deployment.operation,
    layers: deployment.layers,
  });
  log.info({ operation: deployment.operation, layers: deployment.layers }, 'deployment started');
  const destroying = deployment.operation === 'destroy';
  // Environments that require approval preview an `up` first and hold it for a decision.
  const needsApproval =
    deployment.operation === 'up' && env.requireApproval && !deployment.approval?.approvedBy;
  const operation = needsApproval ? 'preview' : deployment.operation;
  const effective: DeploymentRecord = { ...deployment, operation };
  const plannedSteps: Partial<Record<LayerName, PlannedStep[]>> = {};
  if (destroying || operation === 'up') {
    env = await ctx.store.updateEnvironment(env.name, (e) => ({
      ...e,
      status: destroying ? 'destroying' : 'provisioning',
    }));
  }

  const outputs: Partial<Record<LayerName, StackOutputs>> = {
    ...((await ctx.store.getBundle(env.name))?.outputs ?? {}),
  };
  let failure: string | undefined;
  let drift = false;
  const setRun = async (layer: LayerName, run: LayerRun): Promise<void> => {
    await ctx.store.updateDeployment(deployment.id, (d) => ({
      ...d,
      layerRuns: { ...d.layerRuns, [layer]: run },
    }));
    await append('layer', { layer, ...run });
  };

  for (const group of layerGroups(deployment.layers, destroying ? 'backward' : 'forward')) {
    if (failure || signal.aborted) {
      for (const layer of group)
        await setRun(layer, { status: signal.aborted ? 'cancelled' : 'skipped' });
      continue;
    }
    await Promise.all(
      group.map(async (layer) => {
        const startedAt = new Date().toISOString();
        await setRun(layer, { status: 'running', startedAt });
        try {
          const result = await runOneLayer(
            ctx,
            env as EnvironmentRecord,
            effective,
            layer,
            outputs,
            signal,
            (event) => append('engine', { layer, ...(event as object) }),
          );
          if (result.steps) plannedSteps[layer] = result.steps;
          if (destroying) delete outputs[layer];
          else if (operation !== 'preview' && operation !== 'drift')
            outputs[layer] = result.outputs;
          if (result.drift) drift = true;
          await setRun(layer, {
            status: 'succeeded',
            startedAt,
            finishedAt: new Date().toISOString(),
            changes: result.changes,
            ...(result.drift !== undefined
              ? { drift: result.drift, driftedResources: result.driftedResources }
              : {}),
          });
          // Previews and drift checks change nothing, so the layer's recorded state stays.
          if (operation !== 'preview' && operation !== 'drift') {
            await setLayerState(ctx, effective, layer, {
              status: destroying ? 'destroyed' : 'ready',
              outputs: visibleOutputs(destroying ? undefined : outputs[layer]),
            });
          }
        } catch (error) {
          const cancelled = error instanceof LayerFailedError && error.cancelled;
          const message = error instanceof Error ? error.message : String(error);
          failure ??= cancelled ? 'cancelled' : `${layer}: ${message}`;
          await setRun(layer, {
            status: cancelled ? 'cancelled' : 'failed',
            startedAt,
            finishedAt: new Date().toISOString(),
            error: message,
          });
          await setLayerState(ctx, effective, layer, { status: 'failed' });
        }
      }),
    );
  }

  if (needsApproval && !failure && !signal.aborted) {
    await holdForApproval(ctx, deployment.id, plannedSteps, append);
    log.info('deployment previewed and held for approval');
    return;
  }
  if (operation === 'up' || operation === 'refresh' || destroying) {
    await saveBundle(ctx, env.name, outputs);
  }
  const status: DeploymentStatus =
    signal.aborted || failure === 'cancelled' ? 'cancelled' : failure ? 'failed' : 'succeeded';
  let driftFound: Partial<EnvironmentRecord> = {};
  if (operation === 'drift') {
    const checked = await ctx.store.updateDeployment(deployment.id, (d) => ({ ...d, drift }));
    if (status === 'succeeded') {
      const driftedResources = Object.entries(checked.layerRuns).flatMap(([layer, run]) =>
        (run?.driftedResources ?? []).map((r) => ({ layer: layer as LayerName, ...r })),
      );
      driftFound = { drift, driftedResources, driftCheckedAt: new Date().toISOString() };
    }
  }
  if (deployment.forget && status === 'succeeded') {
    await ctx.store.deleteEnvironment(env.name);
  } else {
    // A successful up brings the stacks back in line with the code: it clears earlier drift.
    const repaired = operation === 'up' && status === 'succeeded';
    await ctx.store.updateEnvironment(env.name, (e) => ({
      ...e,
      ...(repaired && e.drift ? { drift: false, driftedResources: [] } : {}),
      ...driftFound,
      status: environmentStatus(e),
    }));
  }
  await finish(ctx, deployment.id, status, status === 'failed' ? failure : undefined, append);
  await recordDeploymentEndQuietly(
    ctx.redis,
    ctx.deployments.queueName,
    await ctx.store.getDeployment(deployment.id),
    env,
    (err) => log.warn({ err }, 'could not count the deployment in the metrics'),
  );
  log.info({ status }, 'deployment finished');
  if (deployment.forget && status === 'succeeded') {
    await ctx.maintenance.forget(env.name);
    return;
  }
  if (operation === 'up') await extendTtl(ctx, env.name);
  if (operation === 'drift' && drift && env.driftPolicy?.autoRemediate) {
    const remedy = newDeployment(env, 'up', { kind: 'drift' }, { layers: deployment.layers });
    await ctx.deployments.enqueue(remedy);
    log.info({ remedy: remedy.id }, 'drift found: queued an up to remediate');
  }
}

/** A redeploy pushes the environment's expiry back by its TTL. */
async function extendTtl(ctx: WorkerContext, name: string): Promise<void> {
  const env = await ctx.store.getEnvironment(name);
  if (!env?.ttl) return;
  const expiresAt = expiryAfter(env, new Date());
  const updated = await ctx.store.updateEnvironment(name, (e) => ({ ...e, expiresAt }));
  await ctx.maintenance.scheduleExpiry(updated);
}

async function holdForApproval(
  ctx: WorkerContext,
  id: string,
  plannedSteps: Partial<Record<LayerName, PlannedStep[]>>,
  append: (kind: EventKind, data: unknown) => Promise<unknown>,
): Promise<void> {
  const record = await ctx.store.updateDeployment(id, (d) => ({
    ...d,
    status: 'pending_approval',
    approval: { requestedAt: new Date().toISOString(), plannedSteps },
  }));
  await ctx.deployments.holdForApproval(record);
  const changes = Object.fromEntries(
    Object.entries(record.layerRuns).map(([layer, run]) => [layer, run?.changes ?? {}]),
  );
  await append('deployment', { status: 'pending_approval', changes });
}

async function runOneLayer(
  ctx: WorkerContext,
  env: EnvironmentRecord,
  deployment: DeploymentRecord,
  layer: LayerName,
  outputs: Partial<Record<LayerName, StackOutputs>>,
  signal: AbortSignal,
  onEvent: (event: unknown) => void,
) {
  const spec = env.layers[layer];
  if (!spec) throw new Error(`the environment has no ${layer} layer`);
  const definition = findLayer(spec.target, layer);
  if (!definition) throw new Error(`target ${spec.target} has no ${layer} layer`);
  const config = resolveLayerConfig(definition, env.stage, spec.config);
  const approved = deployment.operation === 'up' ? deployment.approval : undefined;
  return runLayer(
    {
      deploymentId: deployment.id,
      environment: env.name,
      stage: env.stage,
      layer,
      target: spec.target,
      operation: deployment.operation,
      config,
      inputs: outputs,
      dataDir: ctx.settings.dataDir,
      localPostgresUrl: ctx.settings.localPostgresUrl,
      backendUrl: ctx.settings.backendUrl,
      ...(approved?.approvedBy ? { expectedSteps: approved.plannedSteps[layer] ?? [] } : {}),
    },
    { onEvent, signal, env: { PULUMI_CONFIG_PASSPHRASE: ctx.settings.passphrase } },
  );
}

/** Records where a layer stands after this deployment touched it. */
async function setLayerState(
  ctx: WorkerContext,
  deployment: DeploymentRecord,
  layer: LayerName,
  state: { status: LayerState['status']; outputs?: Record<string, unknown> },
): Promise<void> {
  await ctx.store.updateEnvironment(deployment.environment, (e) => {
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
          lastDeployment: deployment.id,
        },
      },
    };
  });
}

async function saveBundle(
  ctx: WorkerContext,
  name: string,
  outputs: Partial<Record<LayerName, StackOutputs>>,
): Promise<void> {
  const env = await ctx.store.getEnvironment(name);
  if (!env) return;
  if (Object.keys(outputs).length === 0) {
    await ctx.store.deleteBundle(name);
    return;
  }
  await ctx.store.saveBundle({
    environment: name,
    generatedAt: new Date().toISOString(),
    entries: bundleEntries(env, outputs),
    outputs,
  });
}

function environmentStatus(env: EnvironmentRecord): EnvironmentRecord['status'] {
  const states = Object.values(env.layerStates);
  if (states.some((s) => s?.status === 'failed')) return 'failed';
  if (states.length > 0 && states.every((s) => s?.status === 'destroyed')) return 'destroyed';
  if (states.some((s) => s?.status === 'ready')) return 'ready';
  return env.status === 'provisioning' ? 'failed' : env.status;
}

async function finish(
  ctx: WorkerContext,
  id: string,
  status: DeploymentStatus,
  error: string | undefined,
  append: (kind: EventKind, data: unknown) => Promise<unknown>,
): Promise<void> {
  const record = await ctx.store.updateDeployment(id, (d) => ({
    ...d,
    status,
    finishedAt: new Date().toISOString(),
    ...(error ? { error } : {}),
  }));
  await append('deployment', { status, ...(record.error ? { error: record.error } : {}) });
  await append('end', { status });
}
