/**
 * Runs exactly one Pulumi operation and exits. The Automation API installs process-wide
 * handlers and an inline program can crash its process, so each operation gets its own OS
 * process and talks to the worker over IPC.
 */
import fs from 'node:fs';
import path from 'node:path';
import { LocalWorkspace, type EngineEvent, type Stack } from '@pulumi/pulumi/automation';
import { fileURLToPath } from 'node:url';
import type { ChangeSummary, PlannedStep } from '../../core/domain';
import { planDifference } from './plan-difference';
import { PROJECT_NAME, stackName, stackWorkDir } from '../../core/stack-name';
import { findLayer } from '../../programs/catalogue';
import type { ChildMessage, LayerResult, LayerTask, ParentMessage } from './layer-task';

const abort = new AbortController();

function send(message: ChildMessage): Promise<void> {
  return new Promise((resolve) => {
    if (!process.send) return resolve();
    process.send(message, undefined, undefined, () => resolve());
  });
}

/**
 * Dynamic providers run in pulumi-resource-pulumi-nodejs, which resolves @pulumi/pulumi and
 * the provider's own requires from the stack's work dir. The work dir lives under the data
 * dir, which may be anywhere, so it gets a node_modules link to Strata's own.
 */
function prepareWorkDir(task: LayerTask): string {
  const workDir = stackWorkDir(task.dataDir, task.environment, task.layer);
  fs.mkdirSync(workDir, { recursive: true });
  const link = path.join(workDir, 'node_modules');
  const modules = path.resolve(
    path.dirname(require.resolve('@pulumi/pulumi/package.json')),
    '..',
    '..',
  );
  try {
    if (fs.readlinkSync(link) !== modules) {
      fs.rmSync(link, { force: true });
      fs.symlinkSync(modules, link, 'dir');
    }
  } catch {
    fs.rmSync(link, { force: true, recursive: true });
    fs.symlinkSync(modules, link, 'dir');
  }
  return workDir;
}

/**
 * A worker that died mid-operation leaves the file backend's lock behind, and every later
 * operation would fail on it. Strata's environment lock already guarantees that nothing else
 * runs on this stack, so any lock found here is stale.
 */
function clearStaleLocks(task: LayerTask): boolean {
  if (!task.backendUrl.startsWith('file://')) return false;
  const dir = path.join(
    fileURLToPath(task.backendUrl),
    '.pulumi',
    'locks',
    'organization',
    PROJECT_NAME,
    stackName(task.environment, task.layer),
  );
  const stale = fs.existsSync(dir) && fs.readdirSync(dir).length > 0;
  fs.rmSync(dir, { recursive: true, force: true });
  return stale;
}

async function openStack(task: LayerTask): Promise<Stack> {
  const definition = findLayer(task.target, task.layer);
  if (!definition) throw new Error(`no ${task.layer} layer for target ${task.target}`);
  const program = definition.program({
    environment: task.environment,
    stage: task.stage,
    config: task.config,
    inputs: task.inputs,
    runtime: {
      dataDir: task.dataDir,
      localPostgresUrl: task.localPostgresUrl,
      preview: task.operation === 'preview' || task.operation === 'drift',
    },
  });
  const workDir = prepareWorkDir(task);
  const pulumiPackage = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
  const workspace = await LocalWorkspace.create({
    workDir,
    program,
    projectSettings: {
      name: PROJECT_NAME,
      runtime: 'nodejs',
      backend: { url: task.backendUrl },
    },
    envVars: {
      // pulumi-resource-pulumi-nodejs ships in the @pulumi/pulumi package.
      PATH: `${pulumiPackage}${path.delimiter}${process.env.PATH ?? ''}`,
      PULUMI_SKIP_UPDATE_CHECK: 'true',
      PULUMI_AUTOMATION_API_SKIP_VERSION_CHECK: 'false',
    },
  });
  return LocalWorkspace.createOrSelectStack(
    { stackName: stackName(task.environment, task.layer), projectName: PROJECT_NAME, program },
    { workDir, projectSettings: await workspace.projectSettings(), envVars: workspace.envVars },
  );
}

function summary(changes: Record<string, number> | undefined): ChangeSummary {
  return Object.fromEntries(Object.entries(changes ?? {}).filter(([, n]) => n > 0));
}

/** Every secret this process was handed, so no event can carry one out. */
function knownSecrets(task: LayerTask): string[] {
  const secrets = Object.values(task.inputs).flatMap((outputs) =>
    Object.values(outputs ?? {})
      .filter((o) => o.secret && o.value !== undefined && o.value !== null)
      .map((o) => (typeof o.value === 'string' ? o.value : JSON.stringify(o.value))),
  );
  const adminPassword = new URL(task.localPostgresUrl).password;
  if (adminPassword) secrets.push(decodeURIComponent(adminPassword), adminPassword);
  // Very short values would redact ordinary words; real secrets are long.
  return secrets.filter((s) => s.length >= 6);
}

export function scrub(event: EngineEvent, secrets: string[]): EngineEvent {
  if (secrets.length === 0) return event;
  let text = JSON.stringify(event);
  for (const secret of secrets)
    text = text.split(JSON.stringify(secret).slice(1, -1)).join('[secret]');
  return JSON.parse(text) as EngineEvent;
}

async function run(task: LayerTask): Promise<LayerResult> {
  if (clearStaleLocks(task)) {
    void send({
      type: 'event',
      event: {
        diagnosticEvent: {
          severity: 'warning',
          message: 'removed a stale stack lock left by an interrupted operation\n',
        },
      },
    });
  }
  const stack = await openStack(task);
  // The SDK listens for `abort` only once the CLI runs; a cancel that came earlier must stop here.
  if (abort.signal.aborted) throw new Error('cancelled before the engine started');
  const secrets = knownSecrets(task);
  const onEvent = (event: EngineEvent): void => {
    // The SDK's debug diagnostics echo raw RPC responses, generated passwords included; the
    // engine sends them although the SDK's severity type does not list 'debug'.
    if ((event.diagnosticEvent?.severity as string | undefined) === 'debug') return;
    void send({ type: 'event', event: scrub(event, secrets) });
  };
  const common = { onEvent, signal: abort.signal, color: 'never' as const };
  switch (task.operation) {
    case 'up': {
      if (task.expectedSteps) {
        const fresh = await previewSteps(stack, common);
        const difference = planDifference(task.expectedSteps, fresh.steps);
        if (difference) throw new Error(difference);
      }
      // Refreshing first makes `up` repair drift (a role dropped by hand is created again).
      const result = await stack.up({ ...common, refresh: true });
      return { changes: summary(result.summary.resourceChanges), outputs: await stack.outputs() };
    }
    case 'preview': {
      const { changes, steps } = await previewSteps(stack, common);
      return { changes, steps, outputs: await stack.outputs() };
    }
    case 'refresh': {
      const result = await stack.refresh(common);
      return { changes: summary(result.summary.resourceChanges), outputs: await stack.outputs() };
    }
    case 'destroy': {
      const result = await stack.destroy(common);
      // The stack is empty now; removing it keeps the backend free of dead environments.
      await stack.workspace.removeStack(stack.name);
      fs.rmSync(stackWorkDir(task.dataDir, task.environment, task.layer), {
        recursive: true,
        force: true,
      });
      return { changes: summary(result.summary.resourceChanges), outputs: {} };
    }
    case 'drift': {
      const drifted: NonNullable<LayerResult['driftedResources']> = [];
      const result = await stack.previewRefresh({
        ...common,
        onEvent: (event) => {
          // The pre-event of a refresh says only "refresh"; the outputs event says what it found.
          const step = event.resOutputsEvent?.metadata;
          if (step && step.op !== 'same' && step.type !== 'pulumi:pulumi:Stack') {
            drifted.push({
              urn: step.urn,
              op: step.op,
              diffs: changedKeys(step.old?.outputs, step.new?.outputs),
            });
          }
          onEvent(event);
        },
      });
      return {
        changes: summary(result.changeSummary),
        outputs: await stack.outputs(),
        drift: drifted.length > 0,
        driftedResources: drifted,
      };
    }
  }
}

/** Names of the outputs that differ; never their values, which may be secret. */
function changedKeys(
  before: Record<string, unknown> | undefined,
  after: Record<string, unknown> | undefined,
): string[] {
  const keys = new Set([...Object.keys(before ?? {}), ...Object.keys(after ?? {})]);
  return [...keys]
    .filter((k) => k !== '__provider' && JSON.stringify(before?.[k]) !== JSON.stringify(after?.[k]))
    .sort();
}

/** A preview as `up` would see it (refresh first), with the steps it announces. */
async function previewSteps(
  stack: Stack,
  common: { onEvent: (event: EngineEvent) => void; signal: AbortSignal; color: 'never' },
): Promise<{ changes: ChangeSummary; steps: PlannedStep[] }> {
  const steps: PlannedStep[] = [];
  const result = await stack.preview({
    ...common,
    refresh: true,
    onEvent: (event) => {
      const step = event.resourcePreEvent?.metadata;
      if (step && step.op !== 'same' && step.op !== 'refresh')
        steps.push({ urn: step.urn, op: step.op });
      common.onEvent(event);
    },
  });
  return { changes: summary(result.changeSummary), steps };
}

process.on('message', (message: ParentMessage) => {
  if (message.type === 'cancel') {
    abort.abort();
    return;
  }
  run(message.task)
    .then((result) => send({ type: 'result', result }))
    .catch((error: unknown) =>
      send({
        type: 'error',
        message: error instanceof Error ? error.message : String(error),
        cancelled: abort.signal.aborted,
      }),
    )
    .finally(() => process.exit(0));
});
