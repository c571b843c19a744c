import { runInChild } from '../../core/run-in-child';
import { CLI_VERSION_VARIABLE } from './cli-version';
import { forkEngine, type EnginePool } from './engine-pool';
import { killTree } from './process-tree';
import { knownSecrets, scrubText } from './secrets';
import {
  ENGINE_STOP_GRACE_MS,
  type ChildMessage,
  type LayerResult,
  type LayerTask,
  type ParentMessage,
  monotonicMs,
} from './layer-task';

export type StopReason = 'cancelled' | 'timeout' | 'fenced';

export class LayerFailedError extends Error {
  override name = 'LayerFailedError';
  constructor(
    message: string,
    /** Why the engine was stopped, when it was stopped rather than failing by itself. */
    readonly stopped?: StopReason,
  ) {
    super(message);
  }
}

/** The lease an engine process runs under: it stops itself when no renewal reaches it. */
export interface LeaseFeed {
  /** Milliseconds the lease certainly holds from now. */
  validForMs(): number;
  /** Calls `listener` after each renewal; returns the unsubscribe function. */
  onRenew(listener: () => void): () => void;
}

export interface RunLayerOptions {
  onEvent: (event: unknown) => void;
  /** Aborted with a StopReason: stop the engine (gracefully, then by force unless `cancelled`). */
  signal?: AbortSignal;
  /** Extra environment for the engine process (the state passphrase); kept out of its errors. */
  env?: Record<string, string>;
  /** The CLI version the worker read (see readCliVersion). */
  cliVersion?: string;
  timeoutMs: number;
  lease: LeaseFeed;
  /** Engine processes started ahead of need; without it each operation starts its own. */
  engines?: EnginePool;
}

/** The CLI's error text ends with the part a user needs; the start repeats the command line. */
function shorten(message: string): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-15).join('\n').slice(-4000);
}

/**
 * What an engine process may see of the worker's environment. It runs user-chosen programs and
 * third-party provider plugins, so it gets what running Pulumi and the cloud providers needs
 * (their standard credential variables), and none of Strata's own secrets: API tokens, the
 * tokens file, the bundle key, the webhook secret. STRATA_DATA_DIR stays: it names the
 * installation a process belongs to (the fault tests find strays by it).
 */
const ENGINE_ENVIRONMENT =
  /^(PATH|HOME|USER|LOGNAME|SHELL|LANG|LANGUAGE|TZ|TERM|TMPDIR|TMP|TEMP|KUBECONFIG|SSL_CERT_FILE|SSL_CERT_DIR|HCLOUD_TOKEN|STRATA_DATA_DIR)$|^(LC_|PULUMI_|AWS_|GOOGLE_|CLOUDSDK_|OS_|CLOUDFLARE_|NODE_|XDG_)|^(https?|no|all)_proxy$/i;

export function engineEnvironment(
  parent: NodeJS.ProcessEnv,
  extra: Record<string, string> = {},
  cliVersion?: string,
): NodeJS.ProcessEnv {
  const passed = Object.entries(parent).filter(([name]) => ENGINE_ENVIRONMENT.test(name));
  return {
    ...Object.fromEntries(passed),
    ...extra,
    ...(cliVersion ? { [CLI_VERSION_VARIABLE]: cliVersion } : {}),
  };
}

function human(ms: number): string {
  if (ms % 3_600_000 === 0) return `${ms / 3_600_000}h`;
  if (ms % 60_000 === 0) return `${ms / 60_000}m`;
  return `${Math.round(ms / 1000)}s`;
}

/**
 * Runs one Pulumi operation in a child process of its own (see forkEngine), streaming its engine
 * events; everything the child starts is killed with it.
 */
export function runLayer(task: LayerTask, options: RunLayerOptions): Promise<LayerResult> {
  const env = engineEnvironment(process.env, options.env, options.cliVersion);
  let stopped: StopReason | undefined;
  let forceTimer: NodeJS.Timeout | undefined;
  let timeout: NodeJS.Timeout | undefined;
  let unsubscribe = (): void => undefined;
  let onAbort = (): void => undefined;
  // The engine's own errors and its stderr may quote what it was handed, as its events may.
  const secrets = knownSecrets(task, Object.values(options.env ?? {}));
  const failure = (raw: string): LayerFailedError => {
    const message = scrubText(raw, secrets);
    if (stopped === 'timeout') {
      return new LayerFailedError(
        `timed out after ${human(options.timeoutMs)} (STRATA_LAYER_TIMEOUT) and was stopped; the engine said: ${message}`,
        'timeout',
      );
    }
    return new LayerFailedError(message, stopped);
  };
  return runInChild<ChildMessage, LayerResult>(
    {
      process: options.engines ? options.engines.take(env) : forkEngine(env),
      onMessage: (run, message) => {
        if (message.type === 'event') options.onEvent(message.event);
        else if (message.type === 'result') run.settle(undefined, message.result);
        else run.settle(failure(shorten(message.message)));
      },
      startFailed: (error) =>
        new LayerFailedError(`could not start the engine process: ${error.message}`),
      ended: (code, signal, stderr) =>
        failure(
          `the engine process ended (${signal ?? `exit ${code}`}) before reporting a result${stderr ? `: ${shorten(stderr)}` : ''}`,
        ),
      onSettled: () => {
        clearTimeout(timeout);
        clearTimeout(forceTimer);
        unsubscribe();
        options.signal?.removeEventListener('abort', onAbort);
      },
    },
    (run) => {
      const send = (message: ParentMessage): void => run.send(message);
      const stop = (reason: StopReason): void => {
        if (run.settled || stopped) return;
        stopped = reason;
        send({ type: 'cancel' });
        // A user's cancel lets the CLI finish its steps however long they take; a timeout or a
        // lost lease cannot wait.
        if (reason !== 'cancelled' && run.child.pid !== undefined) {
          const pid = run.child.pid;
          forceTimer = setTimeout(() => killTree(pid), ENGINE_STOP_GRACE_MS);
        }
      };
      onAbort = (): void => stop((options.signal?.reason as StopReason) ?? 'cancelled');
      timeout = setTimeout(() => stop('timeout'), options.timeoutMs);
      // The engine gets the lease's end as a time, not a duration (see monotonicMs).
      const leaseUntil = (): number => monotonicMs() + options.lease.validForMs();
      unsubscribe = options.lease.onRenew(() => send({ type: 'lease', until: leaseUntil() }));
      options.signal?.addEventListener('abort', onAbort);
      send({ type: 'run', task, leaseUntil: leaseUntil() });
      if (options.signal?.aborted) onAbort();
    },
  );
}
