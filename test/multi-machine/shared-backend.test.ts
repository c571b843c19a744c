import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it, type TestContext } from 'node:test';
import pg from 'pg';
import { uniqueName } from '../helpers/harness';
import { StrataCluster, type ClusterDeployment, type StackRun } from '../helpers/cluster';
import { createMachines, type Machines } from '../helpers/machines';
import { MotoServer } from '../helpers/moto';
import { pause, PrivatePostgres, PrivateRedis } from '../helpers/servers';

const ENVIRONMENTS = 20;
/** Trust auth ignores it; it is here to prove no log, event or response ever shows it. */
const STATE_PASSWORD = 'state-db-pw-7f3a9c';

interface Backend {
  /** PULUMI_BACKEND_URL as the machines (and this host) reach it. */
  url: string;
  env?: NodeJS.ProcessEnv;
  /** Lock entries left in the backend. */
  locksLeft(): Promise<string[]>;
}

describe('several machines sharing Redis and a Pulumi state backend', () => {
  let machines: Machines;
  let redis: PrivateRedis;
  let postgres: PrivatePostgres;
  let moto: MotoServer | undefined;
  let bucketsDir: string;

  before(async () => {
    machines = createMachines(2);
    const also = machines.namespaces ? [machines.serverAddress] : [];
    redis = await PrivateRedis.start({ also });
    postgres = await PrivatePostgres.start({ also });
    bucketsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-shared-buckets-'));
  });

  after(async () => {
    moto?.close();
    await redis?.close();
    postgres?.close();
    machines?.close();
    fs.rmSync(bucketsDir, { recursive: true, force: true });
  });

  function describeMachines(t: TestContext): void {
    t.diagnostic(
      machines.namespaces
        ? `each worker runs in a network namespace of its own, reaching Redis and the backend at ${machines.serverAddress}`
        : `${machines.note}`,
    );
  }

  async function scenario(t: TestContext, backend: Backend): Promise<void> {
    describeMachines(t);
    const server = machines.serverAddress;
    const [one, two] = machines.machines as [
      (typeof machines.machines)[0],
      (typeof machines.machines)[0],
    ];
    const workerEnv = {
      REDIS_URL: redis.urlAt(server),
      LOCAL_POSTGRES_URL: postgres.urlAt(server),
      STRATA_WORKER_CONCURRENCY: '4',
    };
    const cluster = await StrataCluster.start({
      env: {
        REDIS_URL: redis.url,
        PULUMI_BACKEND_URL: backend.url,
        STRATA_BUCKETS_DIR: bucketsDir,
        LOCAL_POSTGRES_URL: postgres.url,
        ...backend.env,
      },
      workers: [
        { id: 'machine-1', machine: one, env: workerEnv },
        { id: 'machine-2', machine: two, env: workerEnv },
      ],
    });
    const ids: string[] = [];
    try {
      const ready = await cluster.api('/readyz');
      assert.equal(ready.status, 200, await ready.text());

      const names = Array.from({ length: ENVIRONMENTS }, (_, i) => uniqueName(`mm${i}`));
      const created = await Promise.all(
        names.map((name) => cluster.create({ name, layers: { storage: { target: 'local' } } })),
      );
      ids.push(...created);

      // Kill machine-1 once it has finished a deployment and has just started the engine of
      // another, so that one is surely cut off mid-run.
      let victim: ClusterDeployment | undefined;
      const deadline = Date.now() + 240_000;
      while (!victim) {
        const all = await Promise.all(created.map((id) => cluster.deployment(id)));
        const done = all.some((d) => d.worker === 'machine-1' && d.status === 'succeeded');
        victim = done
          ? all.find((d) => {
              const run = d.layerRuns.storage;
              return (
                d.worker === 'machine-1' &&
                d.status === 'running' &&
                run?.status === 'running' &&
                // Young enough that it cannot end before the kill (an `up` takes seconds here),
                // old enough that a poll on a busy machine still finds one.
                Date.now() - Date.parse(run.startedAt ?? '') < 2_000
              );
            })
          : undefined;
        assert.ok(Date.now() < deadline, 'machine-1 never started a deployment after ending one');
        if (!victim) await pause(100);
      }
      await cluster.killWorker('machine-1');
      const started = Date.now();
      const seconds = (): string => `${Math.round((Date.now() - started) / 1000)} s`;
      t.diagnostic(`killed machine-1 (SIGKILL) while it ran ${victim.environment}`);

      const ended = await Promise.all(created.map((id) => cluster.waitFor(id)));
      for (const d of ended) {
        assert.equal(d.status, 'succeeded', `${d.environment}: ${d.status} ${d.error ?? ''}`);
      }
      const perWorker = new Map<string, number>();
      for (const d of ended)
        perWorker.set(d.worker ?? '?', (perWorker.get(d.worker ?? '?') ?? 0) + 1);
      t.diagnostic(
        `deployments ended per worker: ${[...perWorker].map(([w, n]) => `${w} ${n}`).join(', ')}`,
      );
      t.diagnostic(`all ${ENVIRONMENTS} ended ${seconds()} after the kill`);
      assert.ok((perWorker.get('machine-1') ?? 0) >= 1, 'machine-1 ran none');
      assert.ok((perWorker.get('machine-2') ?? 0) >= 1, 'machine-2 ran none');
      const resumed = ended.filter((d) => (d.attempts ?? 1) > 1);
      assert.ok(resumed.length >= 1, 'no deployment of the killed worker was resumed');
      for (const d of resumed) assert.equal(d.worker, 'machine-2');
      assert.equal((await cluster.deployment(victim.id)).worker, 'machine-2');

      // A stack machine-1 created, run by machine-2 (a data dir that never saw it).
      const fromOne = ended.filter((d) => d.worker === 'machine-1');
      for (const d of fromOne.slice(0, 1)) {
        for (const operation of ['up', 'refresh', 'drift']) {
          const id = await cluster.deploy(d.environment, operation);
          ids.push(id);
          const result = await cluster.waitFor(id);
          assert.equal(
            result.status,
            'succeeded',
            `${operation} ${d.environment}: ${result.error}`,
          );
          assert.equal(result.worker, 'machine-2');
          if (operation === 'drift') assert.equal(result.drift, false);
        }
      }

      // Every stack machine-1 created, and a few more; the rest go with the private servers.
      const others = ended.filter((d) => d.worker !== 'machine-1').slice(0, 3);
      const gone = [...fromOne, ...others].map((d) => d.environment);
      const destroys = await Promise.all(gone.map((name) => cluster.destroy(name)));
      ids.push(...destroys);
      for (const d of await Promise.all(destroys.map((id) => cluster.waitFor(id)))) {
        assert.equal(d.status, 'succeeded', `destroy ${d.environment}: ${d.error ?? ''}`);
        assert.equal(d.worker, 'machine-2');
      }
      t.diagnostic(`cross-machine operations and destroys done ${seconds()} after the kill`);
      assert.deepEqual(
        fs.readdirSync(bucketsDir).filter((f) => gone.some((n) => f.startsWith(n))),
        [],
      );

      // No two operations on one stack overlapped, by the engine's own clock.
      const byStack = new Map<string, StackRun[]>();
      const texts: string[] = [];
      for (const id of ids) {
        const d = await cluster.deployment(id);
        for (const run of await cluster.stackRuns(id, d.environment)) {
          byStack.set(run.stack, [...(byStack.get(run.stack) ?? []), run]);
        }
        texts.push(JSON.stringify(await cluster.events(id)), JSON.stringify(d));
      }
      assert.equal(byStack.size, ENVIRONMENTS);
      for (const [stack, runs] of byStack) {
        runs.sort((a, b) => a.start - b.start || a.end - b.end);
        for (let i = 1; i < runs.length; i++) {
          const [previous, next] = [runs[i - 1] as StackRun, runs[i] as StackRun];
          assert.ok(
            next.start >= previous.end,
            `${stack}: ${next.deployment} started at ${next.start} while ${previous.deployment} ran until ${previous.end}`,
          );
        }
      }
      const everything = [...texts, ...cluster.logs].join('\n');
      assert.doesNotMatch(everything, /currently locked/);
      assert.ok(!everything.includes(STATE_PASSWORD), 'the backend password leaked');
      assert.deepEqual(await backend.locksLeft(), []);
    } catch (error) {
      t.diagnostic(cluster.logs.slice(-60).join(''));
      throw error;
    } finally {
      await cluster.close();
    }
  }

  it(`PostgreSQL backend: ${ENVIRONMENTS} environments on two workers, one killed mid-run`, async (t) => {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    try {
      await admin.query('CREATE DATABASE pulumi');
    } finally {
      await admin.end();
    }
    const database = postgres.urlAt(machines.serverAddress, 'pulumi');
    const url = `${database.replace('postgres@', `postgres:${STATE_PASSWORD}@`)}?sslmode=disable`;
    await scenario(t, {
      url,
      async locksLeft() {
        const client = new pg.Client({ connectionString: postgres.urlAt('127.0.0.1', 'pulumi') });
        await client.connect();
        try {
          const { rows } = await client.query<{ key: string }>(
            "SELECT key FROM pulumi_state WHERE key LIKE '%/.pulumi/locks/%'",
          );
          return rows.map((r) => r.key);
        } finally {
          await client.end();
        }
      },
    });
  });

  it(`S3 backend (Moto): ${ENVIRONMENTS} environments on two workers, one killed mid-run`, async (t) => {
    moto = await MotoServer.start(machines.serverAddress);
    await moto.createBucket('strata-state');
    const server = moto;
    await scenario(t, {
      url: server.backendUrl('strata-state'),
      env: { AWS_ACCESS_KEY_ID: 'moto-test', AWS_SECRET_ACCESS_KEY: 'moto-test-secret' },
      locksLeft: () => server.keys('strata-state', '.pulumi/locks/'),
    });
  });
});
