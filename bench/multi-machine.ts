/**
 * Past one machine: how throughput grows with a second worker on the PostgreSQL state backend,
 * and what the PostgreSQL backend costs an `up` compared with the embedded file backend.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pg from 'pg';
import { StrataCluster, type WorkerSpec } from '../test/helpers/cluster';
import { uniqueName } from '../test/helpers/harness';
import { createMachines, type Machines } from '../test/helpers/machines';
import { PrivatePostgres, PrivateRedis } from '../test/helpers/servers';

export interface MultiMachineFigures {
  environments: number;
  /** Creation of every environment until the last one succeeded, in ms. */
  oneWorkerMs: number;
  twoWorkersMs: number;
  perWorker: Record<string, number>;
  /** create + up of the local data layer until succeeded, in ms, per run. */
  fileUps: number[];
  postgresUps: number[];
  note?: string;
}

async function burst(
  cluster: StrataCluster,
  count: number,
): Promise<{ ms: number; perWorker: Record<string, number> }> {
  const started = Date.now();
  const ids = await Promise.all(
    Array.from({ length: count }, (_, i) =>
      cluster.create({ name: uniqueName(`tp${i}`), layers: { storage: { target: 'local' } } }),
    ),
  );
  const ended = await Promise.all(ids.map((id) => cluster.waitFor(id)));
  const ms = Date.now() - started;
  const perWorker: Record<string, number> = {};
  for (const d of ended) {
    if (d.status !== 'succeeded') throw new Error(`${d.environment}: ${d.status} ${d.error}`);
    perWorker[d.worker ?? '?'] = (perWorker[d.worker ?? '?'] ?? 0) + 1;
  }
  return { ms, perWorker };
}

async function ups(cluster: StrataCluster, runs: number): Promise<number[]> {
  const times: number[] = [];
  for (let run = 0; run < runs; run++) {
    const started = Date.now();
    const d = await cluster.waitFor(
      await cluster.create({ name: uniqueName('up'), layers: { data: { target: 'local' } } }),
    );
    if (d.status !== 'succeeded') throw new Error(`${d.environment}: ${d.status} ${d.error}`);
    times.push(Date.now() - started);
  }
  return times;
}

export async function measureMultiMachine(
  environments: number,
  runs: number,
): Promise<MultiMachineFigures> {
  const machines: Machines = createMachines(2);
  const also = machines.namespaces ? [machines.serverAddress] : [];
  const redis = await PrivateRedis.start({ also });
  const postgres = await PrivatePostgres.start({ also });
  const bucketsDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bench-buckets-'));
  try {
    const admin = new pg.Client({ connectionString: postgres.url });
    await admin.connect();
    await admin.query('CREATE DATABASE pulumi');
    await admin.end();
    const server = machines.serverAddress;
    const backendUrl = `${postgres.urlAt(server, 'pulumi')}?sslmode=disable`;
    const workerEnv = {
      REDIS_URL: redis.urlAt(server),
      LOCAL_POSTGRES_URL: postgres.urlAt(server),
      STRATA_WORKER_CONCURRENCY: '4',
    };
    const workers: WorkerSpec[] = machines.machines.map((machine, i) => ({
      id: `machine-${i + 1}`,
      machine,
      env: workerEnv,
    }));
    const run = async <T>(
      backend: string,
      count: number,
      work: (c: StrataCluster) => Promise<T>,
    ): Promise<T> => {
      const cluster = await StrataCluster.start({
        env: {
          REDIS_URL: redis.url,
          PULUMI_BACKEND_URL: backend,
          STRATA_BUCKETS_DIR: bucketsDir,
          LOCAL_POSTGRES_URL: postgres.url,
        },
        workers: workers.slice(0, count),
      });
      try {
        return await work(cluster);
      } finally {
        await cluster.close();
      }
    };
    const one = await run(backendUrl, 1, (c) => burst(c, environments));
    const two = await run(backendUrl, 2, (c) => burst(c, environments));
    const postgresUps = await run(backendUrl, 1, (c) => ups(c, runs));
    // '' leaves the worker on its embedded file backend in its own data dir.
    const fileUps = await run('', 1, (c) => ups(c, runs));
    return {
      environments,
      oneWorkerMs: one.ms,
      twoWorkersMs: two.ms,
      perWorker: two.perWorker,
      fileUps,
      postgresUps,
      ...(machines.note ? { note: machines.note } : {}),
    };
  } finally {
    await redis.close();
    postgres.close();
    machines.close();
    fs.rmSync(bucketsDir, { recursive: true, force: true });
  }
}
