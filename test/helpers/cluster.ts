import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { Redis } from 'ioredis';
import { redisKeys } from '../../core/redis-keys';
import type { Machine } from './machines';
import { freePort, NO_RATE_LIMITS, pause, StrataApiClient, type DeploymentBody } from './servers';

const dist = path.resolve(__dirname, '..', '..');
const TOKEN = 'cluster-test-admin-token-0123456789';

export interface ClusterDeployment extends DeploymentBody {
  environment: string;
  operation: string;
  worker?: string;
  drift?: boolean;
}

export interface WorkerSpec {
  /** STRATA_WORKER_ID: how the deployments it runs name it. */
  id: string;
  machine: Machine;
  /** Environment of this worker (its Redis and backend addresses as its machine reaches them). */
  env: NodeJS.ProcessEnv;
}

/** One stack operation as its engine events show it, in the CLI's own time (seconds). */
export interface StackRun {
  stack: string;
  deployment: string;
  start: number;
  end: number;
}

/**
 * Strata spread over machines: one API on this host and workers each on a machine of its own
 * (a network namespace), each with its own data dir, sharing Redis and the state backend.
 */
export class StrataCluster extends StrataApiClient<ClusterDeployment> {
  readonly logs: string[] = [];
  protected readonly token = TOKEN;
  protected readonly waitMs = 300_000;
  readonly workers = new Map<string, ChildProcess>();
  private apiProcess?: ChildProcess;
  private readonly dirs: string[] = [];
  readonly url: string;
  readonly queue = `cluster-${Math.random().toString(16).slice(2, 10)}`;

  private constructor(
    /** Shared by every process: secrets, queue, backend. */
    readonly shared: NodeJS.ProcessEnv,
    private readonly specs: Map<string, WorkerSpec>,
    port: number,
    /** Redis as this host reaches it, for reading event streams. */
    private readonly redisUrl: string,
  ) {
    super();
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(options: {
    /** Environment of the API (on this host) and defaults of every worker. */
    env: NodeJS.ProcessEnv;
    workers: WorkerSpec[];
  }): Promise<StrataCluster> {
    const port = await freePort();
    const shared: NodeJS.ProcessEnv = {
      ...process.env,
      STRATA_API_TOKEN: TOKEN,
      ...NO_RATE_LIMITS,
      PULUMI_CONFIG_PASSPHRASE: 'cluster-test-passphrase',
      STRATA_BUNDLE_KEY: 'cluster-test-bundle-key-0123456789abcdef',
      LOG_LEVEL: 'warn',
      ...options.env,
    };
    const cluster = new StrataCluster(
      { ...shared, STRATA_QUEUE: '' },
      new Map(options.workers.map((w) => [w.id, w])),
      port,
      String(options.env.REDIS_URL),
    );
    cluster.shared.STRATA_QUEUE = cluster.queue;
    cluster.apiProcess = cluster.spawn('api', ['server/server.js'], {
      ...cluster.shared,
      PORT: String(port),
      STRATA_DATA_DIR: cluster.dataDir('api'),
    });
    for (const spec of options.workers) cluster.startWorker(spec.id);
    // Readiness, not liveness: right after start the API may still answer 503 under back-pressure
    // (a startup that blocked its event loop for a whole sample reads as overload), and the first
    // create must not meet that.
    const deadline = Date.now() + 60_000;
    while (
      !(await fetch(`${cluster.url}/readyz`).then(
        (r) => r.ok,
        () => false,
      ))
    ) {
      if (Date.now() > deadline) {
        await cluster.close();
        throw new Error(`the API did not answer:\n${cluster.logs.join('')}`);
      }
      await pause(100);
    }
    return cluster;
  }

  private dataDir(name: string): string {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), `strata-${name}-`));
    this.dirs.push(dir);
    return dir;
  }

  private spawn(name: string, argv: string[], env: NodeJS.ProcessEnv, machine?: Machine) {
    const [command, ...args] = (machine ?? { wrap: (a: string[]) => a }).wrap([
      process.execPath,
      ...argv.map((a) => (a.endsWith('.js') ? path.join(dist, a) : a)),
    ]);
    const child = spawn(command as string, args, { env, stdio: ['ignore', 'pipe', 'pipe'] });
    child.stdout?.on('data', (d: Buffer) => this.logs.push(`[${name}] ${d.toString()}`));
    child.stderr?.on('data', (d: Buffer) => this.logs.push(`[${name}] ${d.toString()}`));
    return child;
  }

  /** Starts (or starts again) a worker, with a fresh data dir: it depends on no disk of its own. */
  startWorker(id: string): ChildProcess {
    const spec = this.specs.get(id);
    if (!spec) throw new Error(`no worker ${id}`);
    const child = this.spawn(
      id,
      ['workers/index.js'],
      {
        ...this.shared,
        STRATA_DATA_DIR: this.dataDir(id),
        STRATA_WORKER_ID: id,
        ...spec.env,
      },
      spec.machine,
    );
    this.workers.set(id, child);
    return child;
  }

  /** SIGKILL of the worker process alone: its engines notice and stop by themselves. */
  async killWorker(id: string): Promise<void> {
    const child = this.workers.get(id);
    if (!child?.pid || child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGKILL');
    await exited;
  }

  async deploy(name: string, operation: string): Promise<string> {
    const response = await this.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation },
    });
    const body = (await response.json()) as { id?: string; message?: string };
    if (response.status !== 202 || !body.id) {
      throw new Error(`${operation} failed: ${response.status} ${body.message}`);
    }
    return body.id;
  }

  async destroy(name: string): Promise<string> {
    const response = await this.api(`/v1/environments/${name}`, { method: 'DELETE' });
    const body = (await response.json()) as { id?: string; message?: string };
    if (response.status !== 202 || !body.id) {
      throw new Error(`destroy failed: ${response.status} ${body.message}`);
    }
    return body.id;
  }

  /** Every event of a deployment, as stored (kind and parsed data). */
  async events(id: string): Promise<{ kind: string; data: Record<string, unknown> }[]> {
    const redis = new Redis(this.redisUrl, { maxRetriesPerRequest: 1 });
    try {
      const entries = await redis.xrange(redisKeys(this.queue).events(id), '-', '+');
      return entries.map(([, fields]) => {
        const record: Record<string, string> = {};
        for (let i = 0; i + 1 < fields.length; i += 2)
          record[fields[i] as string] = fields[i + 1] as string;
        return {
          kind: record.kind ?? '',
          data: JSON.parse(record.data ?? 'null') as Record<string, unknown>,
        };
      });
    } finally {
      redis.disconnect();
    }
  }

  /**
   * The stack operations a deployment's engine events show: each starts with the engine's
   * prelude and ends with its last event before the next prelude of the same layer.
   */
  async stackRuns(id: string, environment: string): Promise<StackRun[]> {
    const runs: StackRun[] = [];
    const open = new Map<string, StackRun>();
    for (const { kind, data } of await this.events(id)) {
      if (kind !== 'engine' || typeof data.timestamp !== 'number') continue;
      const stack = `${environment}.${String(data.layer)}`;
      let run = open.get(stack);
      if (!run || data.preludeEvent) {
        run = { stack, deployment: id, start: data.timestamp, end: data.timestamp };
        open.set(stack, run);
        runs.push(run);
      }
      run.end = Math.max(run.end, data.timestamp);
    }
    return runs;
  }

  async close(): Promise<void> {
    for (const child of [...this.workers.values(), this.apiProcess]) {
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, pause(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    for (const dir of this.dirs) fs.rmSync(dir, { recursive: true, force: true });
  }
}
