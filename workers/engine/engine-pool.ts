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
 * then gone; taking one starts its replacement. Their environment is fixed when they start, so
 * they serve only operations whose engine environment is exactly that one; any other gets a
 * process started for it.
 */
export class EnginePool {
  private readonly idle: EngineProcess[] = [];
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
    if (JSON.stringify(env) !== this.key) return forkEngine(env);
    let engine: EngineProcess | undefined;
    while ((engine = this.idle.shift())) {
      if (engine.child.connected && engine.child.exitCode === null) break;
    }
    setImmediate(() => this.fill());
    return engine ?? forkEngine(env);
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
