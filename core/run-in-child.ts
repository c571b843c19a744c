import { fork, type ChildProcess } from 'node:child_process';

/** A child process that talks to this one over IPC, with the end of what it wrote to stderr. */
export interface ForkedChild {
  readonly child: ChildProcess;
  stderr(): string;
}

export interface ForkOptions {
  /** The compiled module to run, as an absolute path the caller resolves from its own. */
  module: string;
  env?: NodeJS.ProcessEnv;
  /** A process group of its own, so a signal to the parent's group does not reach it. */
  detached?: boolean;
  /** Whether its stdout is read (and discarded) rather than not opened at all. */
  stdout?: 'ignore' | 'pipe';
  /** How much of the end of its stderr to keep, for the error when it ends without a result. */
  stderrTail: number;
}

/** Starts a module in a child process; `runInChild` then runs one task in it. */
export function forkChild(options: ForkOptions): ForkedChild {
  const child = fork(options.module, [], {
    stdio: ['ignore', options.stdout ?? 'ignore', 'pipe', 'ipc'],
    ...(options.env ? { env: options.env } : {}),
    ...(options.detached ? { detached: true } : {}),
  });
  let stderr = '';
  child.stderr?.on('data', (chunk: Buffer) => {
    stderr = (stderr + chunk.toString()).slice(-options.stderrTail);
  });
  child.stdout?.resume();
  // A child started ahead of need may fail to start before anyone runs a task in it; the
  // runner learns of it through its own `error` listener (no pid) or the child's end.
  child.on('error', () => undefined);
  return { child, stderr: () => stderr };
}

/** One run of a module in a child process, as its caller sees it while it lasts. */
export interface ChildRun<Result> {
  /** The process: to send it messages and to signal it (or its group). */
  readonly child: ChildProcess;
  /** Whether the run already ended. */
  readonly settled: boolean;
  /** Ends the run with an error or a result; only the first call counts. */
  settle(error: Error | undefined, result?: Result): void;
  /** Sends a message while the child is there to read it; one to a process that just ended is dropped, as its end still arrives. */
  send(message: unknown): void;
}

export interface RunInChildOptions<Received, Result> {
  /** The process to run in: one forked for this run, or one started ahead of need. */
  process: ForkedChild;
  onMessage(run: ChildRun<Result>, message: Received): void;
  /** The error for a child that could not be started. */
  startFailed(error: Error): Error;
  /** The error for a child that ended without settling the run. */
  ended(code: number | null, signal: NodeJS.Signals | null, stderr: string): Error;
  /** Called once the run ended, whichever way: to clear the caller's timers and listeners. */
  onSettled?(): void;
}

/**
 * Runs one task in a child process that talks to this one over IPC: what the service does
 * whenever code must not share this process (Pulumi's process-global runtime and handlers,
 * a program that may crash). `start` sends the first message and sets up what the caller needs.
 */
export function runInChild<Received, Result>(
  options: RunInChildOptions<Received, Result>,
  start: (run: ChildRun<Result>) => void,
): Promise<Result> {
  return new Promise((resolve, reject) => {
    const { child } = options.process;
    let settled = false;
    const run: ChildRun<Result> = {
      child,
      get settled() {
        return settled;
      },
      settle(error, result) {
        if (settled) return;
        settled = true;
        options.onSettled?.();
        if (error) reject(error);
        else resolve(result as Result);
      },
      send(message) {
        if (child.connected) child.send(message as object, () => undefined);
      },
    };
    child.on('message', (message: Received) => options.onMessage(run, message));
    child.on('error', (error) => {
      if (child.pid === undefined) run.settle(options.startFailed(error));
    });
    // A child started ahead of need may have ended (or failed to start) before this run.
    if (child.exitCode !== null || child.signalCode !== null) {
      run.settle(options.ended(child.exitCode, child.signalCode, options.process.stderr()));
      return;
    }
    // `close` comes after the process ended and its pipes, the IPC channel included, were read
    // to the end, so a result sent just before exiting is never mistaken for a crash.
    child.on('close', (code, signal) =>
      run.settle(options.ended(code, signal, options.process.stderr())),
    );
    start(run);
  });
}
