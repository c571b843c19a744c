/**
 * The Automation API's Stack with fewer CLI calls. Each `pulumi` invocation costs about half a
 * second on a busy machine, and the SDK spends several around every operation that Strata can
 * answer otherwise: `Stack.createOrSelect` runs a `stack select` that fails before the
 * `stack init` of a new stack, and `up`, `refresh` and `destroy` end with `stack output` twice
 * and `stack history` once; an `up` of an inline program needs none of them to read its
 * outputs. This file relies on how the SDK's Stack is built and on `up` reading its results
 * through `this.outputs()` and `this.info()`: internals checked against PULUMI_SDK_CHECKED,
 * like those in programs/lib/pulumi-internals.ts, and tested beside it.
 */
import { randomBytes } from 'node:crypto';
import * as pulumi from '@pulumi/pulumi';
import {
  Stack,
  StackAlreadyExistsError,
  StackNotFoundError,
  type DestroyOptions,
  type LocalWorkspace,
  type OpMap,
  type OutputMap,
  type PulumiFn,
} from '@pulumi/pulumi/automation';
import { isSerializedSecret } from '../../programs/lib/pulumi-internals';

/** What is known of a stack before it is opened (see LayerTask.stackExists). */
export type StackKnown = boolean | undefined;

/**
 * Opens the stack with as few CLI calls as what is known allows: none for one known to exist
 * (every later command names the stack; `select` would only prove it is there), one `stack init`
 * for one known not to, and the SDK's select-or-create when nothing is known. A guess that
 * turns out wrong costs a call, never the result: an existing stack is selected after `init`
 * refuses, and a missing one surfaces as StackNotFoundError from the first command, for the
 * caller to open it again knowing nothing.
 */
export async function openLeanStack(
  name: string,
  workspace: LocalWorkspace,
  exists: StackKnown,
  /** The outputs of the program's last real run, when it ran in this process (keepingOutputs). */
  ranOutputs: () => OutputMap | undefined = () => undefined,
): Promise<Stack> {
  let stack: Stack;
  if (exists === true) stack = unselected(name, workspace);
  else if (exists === false) {
    stack = await Stack.create(name, workspace).catch((error: unknown) => {
      if (error instanceof StackAlreadyExistsError) return Stack.select(name, workspace);
      throw error;
    });
  } else stack = await Stack.createOrSelect(name, workspace);
  return readsLean(stack, ranOutputs);
}

/** Whether a CLI call failed because the stack holds a lock in its backend. */
export function isStackLocked(error: unknown): boolean {
  return /currently locked/i.test(String(error));
}

/**
 * Opens a stack that a dead CLI left locked and removes its locks, for a caller that knows every
 * lock on it is stale. `init` takes the stack's lock before it writes the stack, so a CLI killed between
 * the two leaves a lock on a stack that does not exist: `init` then refuses, and `cancel`, which
 * removes a stack's locks, refuses a stack that does not exist. `rename` takes only the lock of
 * the name it renames from, so the stack is created under a name of its own, renamed into place
 * and then cancelled. The backend keeps the renamed stack's empty file as `<that name>.json.bak`.
 */
export async function openPastStaleLock(name: string, workspace: LocalWorkspace): Promise<Stack> {
  let stack: Stack;
  try {
    // The lock may instead be one an interrupted `up` left on a stack that exists.
    stack = await Stack.select(name, workspace);
  } catch (error) {
    if (!(error instanceof StackNotFoundError)) throw error;
    stack = await Stack.create(`${name}-unlock-${randomBytes(4).toString('hex')}`, workspace);
    await stack.rename({ stackName: name });
  }
  await stack.cancel();
  return stack;
}

/** A Stack object for a stack known to exist, built as the SDK's constructor builds one. */
function unselected(name: string, workspace: LocalWorkspace): Stack {
  const stack = Object.create(Stack.prototype) as Stack;
  Object.assign(stack, { name, workspace, ready: Promise.resolve() });
  return stack;
}

/**
 * Outputs come from the program's own run when an `up` just ran it here, and otherwise from one
 * `stack export` rather than two `stack output` calls. The SDK's `info()` (a `stack history`
 * call after each operation) is skipped: an operation's changes are in its summary event, which
 * the caller keeps (see summaryKeeper).
 */
function readsLean(stack: Stack, ranOutputs: () => OutputMap | undefined): Stack {
  Object.assign(stack, {
    outputs: async () => ranOutputs() ?? exportedOutputs(stack),
    info: () => Promise.resolve(undefined),
  });
  return stack;
}

/**
 * Wraps an inline program to keep what its last real (not dry) run returned, resolved, for
 * `outputs()` to take once: after a successful `up` that is what the engine wrote as the
 * stack's outputs, and reading it back would cost a CLI call. Dry runs (preview) keep nothing,
 * nor does a run whose values did not all resolve: those read the state.
 */
export function keepingOutputs(program: PulumiFn): {
  program: PulumiFn;
  take(): OutputMap | undefined;
} {
  let kept: OutputMap | undefined;
  return {
    program: async () => {
      kept = undefined;
      const returned = await program();
      if (returned && !pulumi.runtime.isDryRun()) {
        resolvedOutputs(returned).then(
          (outputs) => (kept = outputs),
          () => undefined,
        );
      }
      return returned;
    },
    take: () => {
      const outputs = kept;
      kept = undefined;
      return outputs;
    },
  };
}

/**
 * A program's returned values as the state records them: a value holding a secret anywhere is
 * secret as a whole (as exportedOutputs reads them), and an undefined one is left out.
 */
async function resolvedOutputs(returned: Record<string, unknown>): Promise<OutputMap> {
  const outputs: OutputMap = {};
  await Promise.all(
    Object.entries(returned).map(async ([key, raw]) => {
      const output: pulumi.Output<unknown> = pulumi.output(raw as pulumi.Input<unknown>);
      const [value, secret] = await Promise.all([
        new Promise<unknown>((resolve) => output.apply((v) => resolve(v))),
        pulumi.isSecret(output),
      ]);
      if (value !== undefined) outputs[key] = { value, secret };
    }),
  );
  return outputs;
}

/**
 * The stack's outputs from its exported state. A value holding a secret anywhere is marked
 * secret as a whole, where the SDK marks only a value that is a secret itself: an object with
 * one secret field must not be shown either.
 */
async function exportedOutputs(stack: Stack): Promise<OutputMap> {
  const state = await stack.exportStack();
  const resources = (state.deployment as { resources?: StateResource[] } | undefined)?.resources;
  const root = resources?.find((r) => r.type === 'pulumi:pulumi:Stack' && !r.parent);
  const outputs: OutputMap = {};
  for (const [key, raw] of Object.entries(root?.outputs ?? {})) {
    const { value, secret } = revealed(raw);
    outputs[key] = { value, secret };
  }
  return outputs;
}

interface StateResource {
  type: string;
  parent?: string;
  outputs?: Record<string, unknown>;
}

/** A value of the exported state with its secrets opened, and whether it held any. */
function revealed(raw: unknown): { value: unknown; secret: boolean } {
  if (isSerializedSecret(raw)) {
    const plaintext = (raw as { plaintext?: string }).plaintext;
    const inner = revealed(
      plaintext === undefined ? undefined : (JSON.parse(plaintext) as unknown),
    );
    return { value: inner.value, secret: true };
  }
  if (Array.isArray(raw)) {
    const items = raw.map(revealed);
    return { value: items.map((i) => i.value), secret: items.some((i) => i.secret) };
  }
  if (raw !== null && typeof raw === 'object') {
    const entries = Object.entries(raw).map(([k, v]) => [k, revealed(v)] as const);
    return {
      value: Object.fromEntries(entries.map(([k, v]) => [k, v.value])),
      secret: entries.some(([, v]) => v.secret),
    };
  }
  return { value: raw, secret: false };
}

/**
 * Destroys the stack's resources and then removes the stack, in one CLI call: `destroy
 * --remove` removes it only once every resource is gone. The SDK's own `remove` option runs a
 * `stack rm` after a `stack history` instead, which it needs for a summary Strata takes from the
 * summary event. The flag goes through the workspace's documented hook for extra arguments.
 */
export async function destroyAndRemove(stack: Stack, options: DestroyOptions): Promise<void> {
  const workspace = stack.workspace;
  const ordinary = workspace.serializeArgsForOp.bind(workspace);
  workspace.serializeArgsForOp = async (name) => [...(await ordinary(name)), '--remove'];
  try {
    await stack.destroy(options);
  } finally {
    workspace.serializeArgsForOp = ordinary;
  }
}

/** Keeps the changes of the last summary event an operation sent. */
export function summaryKeeper(): {
  see(event: { summaryEvent?: { resourceChanges?: OpMap } }): void;
  changes(): OpMap | undefined;
} {
  let changes: OpMap | undefined;
  return {
    see: (event) => {
      if (event.summaryEvent) changes = event.summaryEvent.resourceChanges;
    },
    changes: () => changes,
  };
}
