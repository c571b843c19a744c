/**
 * Runs exactly one Pulumi operation and exits. The Automation API installs process-wide
 * handlers and an inline program can crash its process, so each operation gets its own OS
 * process and talks to the worker over IPC.
 */
import fs from 'node:fs';
import path from 'node:path';
import {
  LocalWorkspace,
  StackNotFoundError,
  type EngineEvent,
  type Stack,
} from '@pulumi/pulumi/automation';
import { fileURLToPath } from 'node:url';
import { backendKind, scrubUrl } from '../../core/backend-url';
import type { ChangeSummary, PlannedStep } from '../../core/domain';
import { planDifference } from './plan-difference';
import { PROJECT_NAME, stackName, stackWorkDir } from '../../core/stack-name';
import { findLayer, targetLayers } from '../../catalogue/layer-catalogue';
import { killTree } from './process-tree';
import {
  destroyAndRemove,
  isStackLocked,
  keepingOutputs,
  openLeanStack,
  openPastStaleLock,
  summaryKeeper,
  type StackKnown,
} from './lean-stack';
import { CLI_VERSION_VARIABLE } from './cli-version';
import { pulumiCommand } from './pulumi-command';
import { knownSecrets, scrub } from './secrets';
import {
  ENGINE_STOP_GRACE_MS,
  monotonicMs,
  type ChildMessage,
  type LayerResult,
  type LayerTask,
  type ParentMessage,
} from './layer-task';

const abort = new AbortController();

/**
 * The CLI, with the version the worker read; without one, found and its version checked
 * (`pulumi version`) while this process waits for its task, rather than by each workspace the
 * operation opens.
 */
const cli = pulumiCommand(process.env[CLI_VERSION_VARIABLE]);
cli.catch(() => undefined);

// The embedded default target's programs load while this process waits; another target's load
// when its task comes (see targetLayers), a second or less before an apply of minutes.
targetLayers('local');

/**
 * This process fences itself: it may run only while its attempt's lease holds. The worker
 * passes each renewal on; when none arrives (the worker froze, or lost Redis) it stops the
 * engine before the lease runs out, so another attempt never overlaps it on the same stack.
 */
let leaseDeadline = Number.POSITIVE_INFINITY;

/** Kills the CLI and every plugin it started, then this process. */
function die(): never {
  killTree(process.pid, { keepRoot: true });
  process.exit(1);
}

function stopEngine(): void {
  if (abort.signal.aborted) return;
  abort.abort();
  setTimeout(die, ENGINE_STOP_GRACE_MS).unref();
}

setInterval(() => {
  if (leaseDeadline - monotonicMs() > ENGINE_STOP_GRACE_MS) return;
  // After this process stalled (an inline program's closure serialization on a starved CPU),
  // timers run before the renewals that arrived meanwhile are read; setImmediate decides after
  // pending IPC is read, so a stall of this process alone does not pass for a lost lease.
  setImmediate(() => {
    const left = leaseDeadline - monotonicMs();
    if (left <= 0) die();
    if (left <= ENGINE_STOP_GRACE_MS) stopEngine();
  });
}, 100).unref();

// The worker died (SIGKILL, crash): nobody renews the lease or reads the result any more.
process.on('disconnect', stopEngine);

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

interface PendingOperation {
  type?: string;
  resource?: { urn?: string };
}

/** The file backend's checkpoint says whether an interrupted run left operations pending. */
function filePendingOperations(task: LayerTask): boolean {
  const file = path.join(
    fileURLToPath(task.backendUrl),
    '.pulumi',
    'stacks',
    PROJECT_NAME,
    `${stackName(task.environment, task.layer)}.json`,
  );
  try {
    const state = JSON.parse(fs.readFileSync(file, 'utf8')) as {
      checkpoint?: { latest?: { pending_operations?: unknown[] } };
    };
    return (state.checkpoint?.latest?.pending_operations?.length ?? 0) > 0;
  } catch {
    return false;
  }
}

/**
 * A CLI killed mid-step leaves its operations pending in the state, and the next refresh
 * refuses to run until they are resolved. The resources they name may or may not exist; the
 * local providers adopt what they find, so the pending entries are dropped and the next `up`
 * creates or adopts each one.
 */
async function resolvePendingOperations(stack: Stack, task: LayerTask): Promise<void> {
  const isFile = task.backendUrl.startsWith('file://');
  if (isFile ? !filePendingOperations(task) : !task.recover) return;
  const state = await stack.exportStack();
  const deployment = state.deployment as { pending_operations?: PendingOperation[] };
  const pending = deployment.pending_operations ?? [];
  if (pending.length === 0) return;
  await stack.importStack({ ...state, deployment: { ...deployment, pending_operations: [] } });
  const list = pending.map((p) => `${p.type ?? '?'} ${p.resource?.urn ?? '?'}`).join(', ');
  void send({
    type: 'event',
    event: {
      diagnosticEvent: {
        severity: 'warning',
        message: `resolved ${pending.length} operation(s) an interrupted run left pending: ${list}\n`,
      },
    },
  });
}

function warn(message: string): void {
  void send({ type: 'event', event: { diagnosticEvent: { severity: 'warning', message } } });
}

/**
 * The other backends (PostgreSQL rows, object-store files, Pulumi Cloud) keep the lock of a CLI
 * that died until it is cancelled; it never expires. A resumed attempt clears it up front:
 * `cancel` removes every lock of the stack, which is safe only because Strata's lease proves
 * that nobody else runs on it.
 */
async function clearSharedLocks(stack: Stack, task: LayerTask): Promise<void> {
  if (!task.recover || backendKind(task.backendUrl) === 'file') return;
  await stack.cancel();
  warn('resumed after an interrupted attempt: cleared any stack lock it left in the backend\n');
}

/**
 * A lock can also outlive a deployment that ended (all its attempts died), so an operation that
 * finds the stack locked clears it, under the same proof, and runs again.
 */
async function withStaleLockCleared<T>(stack: Stack, work: () => Promise<T>): Promise<T> {
  try {
    return await work();
  } catch (error) {
    if (abort.signal.aborted || !isStackLocked(error)) throw error;
    await stack.cancel();
    warn('cancelled a stale stack lock left by an interrupted operation\n');
    return work();
  }
}

async function openStack(task: LayerTask, exists: StackKnown): Promise<Stack> {
  const definition = findLayer(task.target, task.layer);
  if (!definition) throw new Error(`no ${task.layer} layer for target ${task.target}`);
  const program = definition.program({
    environment: task.environment,
    stage: task.stage,
    config: task.config,
    inputs: task.inputs,
    runtime: {
      dataDir: task.dataDir,
      bucketsDir: task.bucketsDir,
      localPostgresUrl: task.localPostgresUrl,
      preview:
        task.operation === 'preview' ||
        task.operation === 'preview-destroy' ||
        task.operation === 'drift',
    },
  });
  const ran = keepingOutputs(program);
  const workDir = prepareWorkDir(task);
  const pulumiPackage = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
  const workspace = await LocalWorkspace.create({
    workDir,
    program: ran.program,
    pulumiCommand: await cli,
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
  // The workspace above already wrote the project settings: the stack opens in it.
  const name = stackName(task.environment, task.layer);
  const stack = await openLeanStack(name, workspace, exists, ran.take).catch(
    async (error: unknown) => {
      // Under the same proof as withStaleLockCleared: Strata's lease says nobody runs here.
      if (abort.signal.aborted || !isStackLocked(error)) throw error;
      await openPastStaleLock(name, workspace);
      warn('opened the stack past a stale lock left by an interrupted operation\n');
      return openLeanStack(name, workspace, true, ran.take);
    },
  );
  await rebuildStackSettings(stack, workDir);
  return stack;
}

/**
 * Creating a stack writes its settings file (the passphrase's salt) into the work dir; selecting
 * one that another worker created does not. Such a work dir is rebuilt from the backend, so the
 * stack keeps one salt whichever worker runs it: no worker depends on another's disk.
 */
async function rebuildStackSettings(stack: Stack, workDir: string): Promise<void> {
  if (fs.existsSync(path.join(workDir, `Pulumi.${stack.name}.yaml`))) return;
  const state = await stack.exportStack();
  const provider = (
    state.deployment as { secrets_providers?: { type?: string; state?: { salt?: string } } }
  ).secrets_providers;
  const salt = provider?.type === 'passphrase' ? provider.state?.salt : undefined;
  await stack.workspace.saveStackSettings(stack.name, salt ? { encryptionSalt: salt } : {});
}

function summary(changes: Partial<Record<string, number>> | undefined): ChangeSummary {
  return Object.fromEntries(
    Object.entries(changes ?? {}).filter((entry): entry is [string, number] => (entry[1] ?? 0) > 0),
  );
}

async function run(task: LayerTask): Promise<LayerResult> {
  if (clearStaleLocks(task)) warn('removed a stale stack lock left by an interrupted operation\n');
  try {
    return await runOn(await openStack(task, task.stackExists), task);
  } catch (error) {
    // The record said the stack was deployed, and the backend does not have it (removed by
    // hand, or another backend configured): open it as today's SDK would, creating it.
    const missing = task.stackExists === true && error instanceof StackNotFoundError;
    if (!missing || abort.signal.aborted) throw error;
    warn('the stack was not in the backend although this layer was deployed; created it again\n');
    return runOn(await openStack(task, undefined), task);
  }
}

async function runOn(stack: Stack, task: LayerTask): Promise<LayerResult> {
  await clearSharedLocks(stack, task);
  await resolvePendingOperations(stack, task);
  // The SDK listens for `abort` only once the CLI runs; a cancel that came earlier must stop here.
  if (abort.signal.aborted) throw new Error('cancelled before the engine started');
  return withStaleLockCleared(stack, () => operate(stack, task));
}

async function operate(stack: Stack, task: LayerTask): Promise<LayerResult> {
  // The state's passphrase is one too: a program could print its own environment.
  const secrets = knownSecrets(task, [process.env.PULUMI_CONFIG_PASSPHRASE ?? '']);
  const kept = summaryKeeper();
  const onEvent = (event: EngineEvent): void => {
    kept.see(event);
    // The SDK's debug diagnostics echo raw RPC responses, generated passwords included; the
    // engine sends them although the SDK's severity type does not list 'debug'.
    if ((event.diagnosticEvent?.severity as string | undefined) === 'debug') return;
    void send({ type: 'event', event: scrub(event, secrets) });
  };
  const common = { onEvent, signal: abort.signal, color: 'never' as const };
  switch (task.operation) {
    case 'up': {
      if (task.expectedSteps) {
        const fresh = await previewSteps(stack, common, 'up', task.refresh !== false);
        const difference = planDifference(task.expectedSteps, fresh.steps);
        if (difference) throw new Error(difference);
      }
      // Refreshing first makes `up` repair drift (a role dropped by hand is created again);
      // a deployment that asked for `"refresh": false` trades that for one engine pass less.
      const result = await stack.up({ ...common, refresh: task.refresh !== false });
      // `up` has its outputs already, from the program's run (see lean-stack).
      return { changes: summary(kept.changes()), outputs: result.outputs };
    }
    case 'preview': {
      return previewSteps(stack, common, 'up', task.refresh !== false);
    }
    case 'refresh': {
      await stack.refresh(common);
      return { changes: summary(kept.changes()), outputs: await stack.outputs() };
    }
    case 'preview-destroy': {
      return previewSteps(stack, common, 'destroy');
    }
    case 'destroy': {
      if (task.expectedSteps) {
        const fresh = await previewSteps(stack, common, 'destroy');
        const difference = planDifference(task.expectedSteps, fresh.steps);
        if (difference) throw new Error(difference);
      }
      // Removing the emptied stack keeps the backend free of dead environments.
      await destroyAndRemove(stack, common);
      fs.rmSync(stackWorkDir(task.dataDir, task.environment, task.layer), {
        recursive: true,
        force: true,
      });
      return { changes: summary(kept.changes()), outputs: {} };
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

/** A preview as `up` (or `destroy`) would see it (refresh first), with the steps it announces. */
async function previewSteps(
  stack: Stack,
  common: { onEvent: (event: EngineEvent) => void; signal: AbortSignal; color: 'never' },
  of: 'up' | 'destroy' = 'up',
  refresh = true,
): Promise<{ changes: ChangeSummary; steps: PlannedStep[] }> {
  const steps: PlannedStep[] = [];
  const options = {
    ...common,
    refresh,
    onEvent: (event: EngineEvent) => {
      const step = event.resourcePreEvent?.metadata;
      if (step && step.op !== 'same' && step.op !== 'refresh')
        steps.push({ urn: step.urn, op: step.op });
      common.onEvent(event);
    },
  };
  const result = of === 'up' ? await stack.preview(options) : await stack.previewDestroy(options);
  return { changes: summary(result.changeSummary), steps };
}

process.on('message', (message: ParentMessage) => {
  switch (message.type) {
    case 'cancel':
      abort.abort();
      return;
    case 'lease':
      leaseDeadline = message.until;
      return;
    case 'run':
      leaseDeadline = message.leaseUntil;
      run(message.task)
        .then((result) => send({ type: 'result', result }))
        .catch((error: unknown) =>
          send({
            type: 'error',
            // The CLI's errors may quote the backend URL, password included.
            message: scrubUrl(
              error instanceof Error ? error.message : String(error),
              message.task.backendUrl,
            ),
            cancelled: abort.signal.aborted,
          }),
        )
        .finally(() => {
          // Whatever the CLI left running (a plugin of a killed CLI) goes with this process.
          killTree(process.pid, { keepRoot: true });
          process.exit(0);
        });
  }
});
