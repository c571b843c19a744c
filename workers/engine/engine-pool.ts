import path from 'node:path';
import { forkChild, type ForkedChild } from '../../core/run-in-child';
import type { Settings } from '../../core/settings';
import { killTree } from './process-tree';

/**
 * What an operation's engine process gets besides the allow-listed part of the worker's
 * environment (see engineEnvironment): the state's passphrase. The same for every operation of
 * a worker, so warm processes can be started with it.
 */
export function engineSecrets(settings: Pick<Settings, 'passphrase'>): Record<string, string> {
  return { PULUMI_CONFIG_PASSPHRASE: settings.passphrase };
}

/** An engine process, with the tail of what it wrote to stderr since it started. */
export type EngineProcess = ForkedChild;

/**
 * Starts an engine process: the leader of a process group of its own (so a signal to the
 * worker's group does not cut it off mid-step: it notices the worker is gone and stops by
 * itself). It loads the SDK and the catalogue, then waits for the one task it runs.
 */
export function forkEngine(env: NodeJS.ProcessEnv): EngineProcess {
  return forkChild({
    module: path.join(__dirname, 'layer-process.js'),
    env,
    detached: true,
    stdout: 'pipe',
    stderrTail: 8000,
  });
}

/**
 * Engine processes started ahead of need, so an operation does not wait for Node to load the
 * Pulumi SDK and the catalogue (about a second). Each still runs exactly one operation and is
 * then gone. Their environment is fixed when they start, so they serve only operations whose
 * engine environment is exactly that one; any other gets a process started for it.
 *
 * Replacements start once no operation of this worker runs. Loading the SDK beside a running
 * operation slowed its `pulumi up` from about 3.2 s to 4.8 s on two cores, even under
 * SCHED_IDLE, so warming then cost the running operation what it saved the next.
 */
export class EnginePool {
  private readonly idle: EngineProcess[] = [];
  /** Engine processes handed out whose operation has not ended yet. */
  private readonly running = new Set<EngineProcess>();
  private readonly key: string;
  private closed = false;

  constructor(
    private readonly size: number,
    private readonly env: NodeJS.ProcessEnv,
  ) {
    this.key = JSON.stringify(env);
    this.fill();
  }

  /** An engine process for an operation with environment `env`: a warm one when it fits. */
  take(env: NodeJS.ProcessEnv): EngineProcess {
    let engine: EngineProcess | undefined;
    if (JSON.stringify(env) === this.key) {
      while ((engine = this.idle.shift())) {
        if (engine.child.connected && engine.child.exitCode === null) break;
      }
    }
    return this.track(engine ?? forkEngine(env));
  }

  private track(engine: EngineProcess): EngineProcess {
    this.running.add(engine);
    const ended = (): void => {
      if (!this.running.delete(engine)) return;
      if (this.running.size === 0) this.fill();
    };
    engine.child.once('exit', ended);
    // A process that could not be started at all reports only this.
    engine.child.once('error', ended);
    return engine;
  }

  private fill(): void {
    while (!this.closed && this.idle.length < this.size) {
      const engine = forkEngine(this.env);
      this.idle.push(engine);
      // One that ends while idle (it crashed, or the worker's IPC went) leaves the pool.
      engine.child.once('exit', () => {
        const at = this.idle.indexOf(engine);
        if (at >= 0) this.idle.splice(at, 1);
      });
    }
  }

  /** Ends the idle processes; those running an operation are their runner's to stop. */
  close(): void {
    this.closed = true;
    for (const { child } of this.idle.splice(0)) {
      if (child.pid !== undefined) killTree(child.pid);
    }
  }
}
