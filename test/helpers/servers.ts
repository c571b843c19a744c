import { execFileSync, spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, before } from 'node:test';
import { Redis } from 'ioredis';
import { descendants, processStat, signal } from '../../workers/engine/process-tree';

/**
 * Tests and benches poll far faster than a user does; the tests of the limits set their own.
 * Without this a test polling twenty deployments meets the per-token limit within seconds.
 */
export const NO_RATE_LIMITS = {
  STRATA_RATE_LIMIT_PER_TOKEN: '1000000',
  STRATA_RATE_LIMIT_INTAKE: '1000000',
} as const;

/** A TCP port nobody listens on right now. */
export function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = net.createServer();
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() =>
        address && typeof address === 'object'
          ? resolve(address.port)
          : reject(new Error('no port')),
      );
    });
  });
}

export const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/**
 * Polls `check` (an error counts as not yet) until it holds. For what a test waits on across
 * processes or connections: on a loaded machine nothing says how soon it comes, only that it does.
 */
export async function until(
  what: string,
  check: () => boolean | Promise<boolean>,
  ms = 30_000,
): Promise<void> {
  const deadline = Date.now() + ms;
  while (
    !(await Promise.resolve()
      .then(check)
      .catch(() => false))
  ) {
    if (Date.now() > deadline) throw new Error(`${what} did not happen within ${ms} ms`);
    await pause(50);
  }
}

/**
 * A Redis server of the test's own (a real redis-server with AOF in its own dir), for tests that
 * stop, restart or stall Redis without disturbing the Redis every other test shares.
 */
export class PrivateRedis {
  private process?: ChildProcess;
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    /** Addresses it listens on besides loopback (e.g. one other network namespaces reach). */
    readonly also: string[],
  ) {
    this.url = `redis://127.0.0.1:${port}`;
  }

  static async start(options: { also?: string[] } = {}): Promise<PrivateRedis> {
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-redis-'));
    const redis = new PrivateRedis(dir, await freePort(), options.also ?? []);
    await redis.start();
    return redis;
  }

  /** Its URL at `address` (one of those it listens on). */
  urlAt(address: string): string {
    return `redis://${address}:${this.port}`;
  }

  async start(): Promise<void> {
    this.process = spawn(
      'redis-server',
      [
        '--bind',
        ['127.0.0.1', ...this.also].join(' '),
        '--protected-mode',
        'no',
        '--port',
        String(this.port),
        '--dir',
        this.dir,
        '--appendonly',
        'yes',
        '--save',
        '',
        '--enable-debug-command',
        'local',
      ],
      { stdio: 'ignore' },
    );
    await until('redis start', () => this.ping());
  }

  private async ping(): Promise<boolean> {
    const client = new Redis(this.url, { lazyConnect: true, maxRetriesPerRequest: 0 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      return (await client.ping()) === 'PONG';
    } finally {
      client.disconnect();
    }
  }

  /** Stops the server the way a crash or a restart does; AOF keeps what was written. */
  async stop(): Promise<void> {
    const child = this.process;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
  }

  /** A client for the test itself. */
  client(): Redis {
    const client = new Redis(this.url, { maxRetriesPerRequest: null });
    client.on('error', () => undefined);
    return client;
  }

  async close(): Promise<void> {
    await this.stop();
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}

/**
 * A PostgreSQL cluster of the test's own, for tests that freeze the server. As root the cluster
 * belongs to the postgres system user, as initdb requires.
 */
export class PrivatePostgres {
  readonly url: string;

  private constructor(
    readonly dir: string,
    readonly port: number,
    private readonly bin: string,
  ) {
    this.url = `postgres://postgres@127.0.0.1:${port}/postgres`;
  }

  /** Its URL at `address` (one of those it listens on), for `database`. */
  urlAt(address: string, database = 'postgres'): string {
    return `postgres://postgres@${address}:${this.port}/${database}`;
  }

  private static run(bin: string, args: string[]): void {
    const asRoot = process.getuid?.() === 0;
    const [command, argv] = asRoot
      ? ['runuser', ['-u', 'postgres', '--', path.join(bin, args[0]!), ...args.slice(1)]]
      : [path.join(bin, args[0]!), args.slice(1)];
    execFileSync(command as string, argv as string[], { stdio: 'ignore' });
  }

  /**
   * `settings` are extra `-c` server settings (e.g. `log_statement=all`); `hba` replaces
   * pg_hba.conf (by default every connection is trusted); `also` are addresses it listens on
   * besides loopback, trusted like loopback.
   */
  static async start(
    options: { settings?: string[]; hba?: string; also?: string[] } = {},
  ): Promise<PrivatePostgres> {
    const also = options.also ?? [];
    const versions = fs.readdirSync('/usr/lib/postgresql').sort((a, b) => Number(a) - Number(b));
    const bin = `/usr/lib/postgresql/${versions.at(-1)}/bin`;
    // Under /tmp rather than the test's data dir: the postgres user must be able to reach it.
    const dir = fs.mkdtempSync(path.join('/tmp', 'strata-pg-'));
    fs.chmodSync(dir, 0o755);
    if (process.getuid?.() === 0) execFileSync('chown', ['postgres', dir]);
    const pg = new PrivatePostgres(dir, await freePort(), bin);
    PrivatePostgres.run(bin, ['initdb', '-D', `${dir}/data`, '-U', 'postgres', '--auth=trust']);
    if (options.hba !== undefined) fs.writeFileSync(`${dir}/data/pg_hba.conf`, options.hba);
    // Clients in the test's network namespaces come from 198.18.0.0/15 (benchmark addresses).
    if (also.length > 0) {
      fs.appendFileSync(`${dir}/data/pg_hba.conf`, 'host all all 198.18.0.0/15 trust\n');
    }
    const settings = (options.settings ?? []).map((s) => ` -c ${s}`).join('');
    PrivatePostgres.run(bin, [
      'pg_ctl',
      '-D',
      `${dir}/data`,
      '-l',
      `${dir}/server.log`,
      '-w',
      '-o',
      `-c listen_addresses=${['127.0.0.1', ...also].join(',')} -p ${pg.port} -k ${dir} -c max_connections=300${settings}`,
      'start',
    ]);
    return pg;
  }

  /**
   * The postmaster and every backend it forked. A backend whose client hung up may end before
   * it is signalled.
   */
  private pids(): number[] {
    const postmaster = Number(
      fs.readFileSync(`${this.dir}/data/postmaster.pid`, 'utf8').split('\n')[0],
    );
    return [postmaster, ...descendants(postmaster)];
  }

  /** A server that hangs rather than refusing: every process stopped. */
  freeze(): void {
    for (const pid of this.pids()) signal(pid, 'SIGSTOP');
  }

  thaw(): void {
    for (const pid of this.pids()) signal(pid, 'SIGCONT');
  }

  close(): void {
    try {
      this.thaw();
      PrivatePostgres.run(this.bin, [
        'pg_ctl',
        '-D',
        `${this.dir}/data`,
        '-m',
        'immediate',
        'stop',
      ]);
    } finally {
      fs.rmSync(this.dir, { recursive: true, force: true });
    }
  }
}

/** dist/, where the compiled entry points are. */
const dist = path.resolve(__dirname, '..', '..');
const FAULT_TOKEN = 'fault-test-admin-token-0123456789';
export const FINAL = ['succeeded', 'failed', 'cancelled', 'superseded'];

export interface DeploymentBody {
  id: string;
  status: string;
  error?: string;
  attempts?: number;
  layerRuns: Record<string, { status: string; error?: string; startedAt?: string }>;
}

/**
 * What a test says to a running Strata API: requests with the admin token, a deployment,
 * waiting for one to end, creating an environment. `logs` are the processes' output, quoted
 * when a wait runs out.
 */
export abstract class StrataApiClient<D extends DeploymentBody = DeploymentBody> {
  abstract readonly url: string;
  abstract readonly logs: string[];
  protected abstract readonly token: string;
  /** How long waitFor waits by default. */
  protected abstract readonly waitMs: number;

  /** fetch against the API with the admin token; `json` becomes the body. */
  api(pathname: string, init: RequestInit & { json?: unknown } = {}): Promise<Response> {
    const headers = new Headers(init.headers);
    headers.set('authorization', `Bearer ${this.token}`);
    if (init.json !== undefined) headers.set('content-type', 'application/json');
    return fetch(`${this.url}${pathname}`, {
      ...init,
      headers,
      body: init.json !== undefined ? JSON.stringify(init.json) : init.body,
    });
  }

  async deployment(id: string): Promise<D> {
    return (await (await this.api(`/v1/deployments/${id}`)).json()) as D;
  }

  /** Waits for a deployment to reach one of `statuses` (by default, any final one). */
  async waitFor(id: string, statuses = FINAL, ms = this.waitMs): Promise<D> {
    const deadline = Date.now() + ms;
    for (;;) {
      const body = await this.deployment(id).catch(() => undefined);
      if (body && statuses.includes(body.status)) return body;
      if (Date.now() > deadline) {
        throw new Error(
          `deployment ${id} still ${body?.status} after ${ms} ms\n${this.logs.slice(-40).join('')}`,
        );
      }
      await pause(200);
    }
  }

  /** Creates an environment and returns its first deployment's id. */
  async create(json: Record<string, unknown>): Promise<string> {
    const response = await this.api('/v1/environments', { method: 'POST', json });
    const body = (await response.json()) as { deployment?: { id: string }; message?: string };
    if (response.status !== 202 || !body.deployment) {
      throw new Error(`create failed: ${response.status} ${body.message}`);
    }
    return body.deployment.id;
  }
}

/**
 * Strata as docker-compose runs it: the API and the worker as separate OS processes sharing
 * Redis, a data dir and a queue of their own, so a test can kill, freeze or restart either.
 */
export class StrataProcesses extends StrataApiClient {
  readonly logs: string[] = [];
  protected readonly token = FAULT_TOKEN;
  protected readonly waitMs = 120_000;
  apiProcess?: ChildProcess;
  worker?: ChildProcess;
  readonly url: string;

  private constructor(
    readonly env: NodeJS.ProcessEnv,
    port: number,
  ) {
    super();
    this.url = `http://127.0.0.1:${port}`;
  }

  static async start(
    options: { env?: NodeJS.ProcessEnv; worker?: boolean } = {},
  ): Promise<StrataProcesses> {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-faults-'));
    const port = await freePort();
    const env: NodeJS.ProcessEnv = {
      ...process.env,
      STRATA_DATA_DIR: dataDir,
      STRATA_API_TOKEN: FAULT_TOKEN,
      ...NO_RATE_LIMITS,
      STRATA_QUEUE: `faults-${Math.random().toString(16).slice(2, 10)}`,
      PORT: String(port),
      LOG_LEVEL: process.env.TEST_LOG_LEVEL === 'silent' ? 'warn' : 'info',
      ...options.env,
    };
    const strata = new StrataProcesses(env, port);
    strata.apiProcess = strata.spawn('server/server.js');
    if (options.worker !== false) strata.startWorker();
    try {
      // A route under back-pressure, not /healthz: a startup that blocked the API's event loop
      // for a whole sample reads as overload for a second, and the first create must not meet
      // that 503. Not /readyz either: it runs `pulumi version`, which tests count.
      await until(
        'the API to answer',
        async () =>
          (
            await fetch(`${strata.url}/v1/targets`, {
              headers: { authorization: `Bearer ${FAULT_TOKEN}` },
            })
          ).ok,
        60_000,
      );
    } catch (error) {
      await strata.close();
      throw new Error(`${(error as Error).message}:\n${strata.logs.join('')}`);
    }
    return strata;
  }

  async deploy(name: string, json: Record<string, unknown> = { operation: 'up' }): Promise<string> {
    const response = await this.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json,
    });
    const body = (await response.json()) as { id?: string; message?: string };
    if (response.status !== 202 || !body.id) {
      throw new Error(`deploy failed: ${response.status} ${body.message}`);
    }
    return body.id;
  }

  /** Destroys and forgets an environment; returns the destroy deployment once it ended. */
  async destroy(name: string): Promise<DeploymentBody> {
    const response = await this.api(`/v1/environments/${name}`, { method: 'DELETE' });
    const body = (await response.json()) as { id?: string; message?: string };
    if (response.status !== 202 || !body.id) {
      throw new Error(`destroy failed: ${response.status} ${body.message}`);
    }
    return this.waitFor(body.id);
  }

  get dataDir(): string {
    return this.env.STRATA_DATA_DIR as string;
  }

  private spawn(entry: string, detached = false): ChildProcess {
    const child = spawn(process.execPath, [path.join(dist, entry)], {
      env: this.env,
      stdio: ['ignore', 'pipe', 'pipe'],
      // A group of its own, like a container: the test can signal the whole group.
      detached,
    });
    const name = path.basename(entry, '.js');
    child.stdout?.on('data', (d: Buffer) => this.logs.push(`[${name}] ${d.toString()}`));
    child.stderr?.on('data', (d: Buffer) => this.logs.push(`[${name}] ${d.toString()}`));
    return child;
  }

  startWorker(): ChildProcess {
    this.worker = this.spawn('workers/index.js', true);
    return this.worker;
  }

  /** Kills the worker process alone, or its whole process group (as a container stop does). */
  async killWorker(options: { group?: boolean } = {}): Promise<void> {
    const worker = this.worker;
    if (!worker?.pid || worker.exitCode !== null || worker.signalCode !== null) return;
    const exited = new Promise((r) => worker.once('exit', r));
    process.kill(options.group ? -worker.pid : worker.pid, 'SIGKILL');
    await exited;
  }

  /** Processes of this installation still running besides the API and the worker. */
  strays(): { pid: number; command: string; parent: number; state: string }[] {
    const marker = `STRATA_DATA_DIR=${this.dataDir}\0`;
    const found: { pid: number; command: string }[] = [];
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const environ = fs.readFileSync(`/proc/${entry}/environ`, 'utf8');
        if (!`${environ}\0`.includes(marker)) continue;
        const command = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ');
        found.push({ pid: Number(entry), command: command.trim() });
      } catch {
        // Gone meanwhile.
      }
    }
    // The live processes' trees are read after the scan: a process the worker starts while
    // /proc is scanned (a warm engine replacing a used one) is then among their descendants.
    const mine = new Set<number>();
    for (const child of [this.apiProcess, this.worker]) {
      if (child?.pid && child.exitCode === null && child.signalCode === null) {
        mine.add(child.pid);
        for (const pid of descendants(child.pid)) mine.add(pid);
      }
    }
    return found.flatMap(({ pid, command }) => {
      const stat = processStat(pid);
      if (mine.has(pid) || stat === undefined || stat.state === 'Z') return [];
      return [{ pid, command, parent: stat.parent, state: stat.state }];
    });
  }

  async close(): Promise<void> {
    for (const child of [this.worker, this.apiProcess]) {
      if (!child?.pid || child.exitCode !== null || child.signalCode !== null) continue;
      const exited = new Promise((r) => child.once('exit', r));
      child.kill('SIGTERM');
      await Promise.race([exited, pause(15_000)]);
      if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
    }
    fs.rmSync(this.dataDir, { recursive: true, force: true });
  }
}

/**
 * Strata's processes for the tests of the current suite: started before them, on a private
 * Redis of their own with `privateRedis` (to stop, stall or restart), and closed after them.
 */
export function strataForSuite(options: { privateRedis?: boolean } = {}): {
  readonly strata: StrataProcesses;
  readonly redis: PrivateRedis;
} {
  let strata: StrataProcesses | undefined;
  let redis: PrivateRedis | undefined;
  before(async () => {
    if (options.privateRedis) redis = await PrivateRedis.start();
    strata = await StrataProcesses.start(redis ? { env: { REDIS_URL: redis.url } } : {});
  });
  after(async () => {
    await strata?.close();
    await redis?.close();
  });
  return {
    get strata(): StrataProcesses {
      if (!strata) throw new Error("Strata starts before the suite's tests");
      return strata;
    },
    get redis(): PrivateRedis {
      if (!redis) throw new Error('no private Redis: strataForSuite({ privateRedis: true })');
      return redis;
    },
  };
}
