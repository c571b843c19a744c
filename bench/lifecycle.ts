/**
 * Lifecycle figures a platform team asks about (`npm run bench -- --only lifecycle`), measured
 * against real Redis, PostgreSQL and the pulumi CLI in one process (API and worker together).
 */
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../test/helpers/harness';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);

export function summary(label: string, values: number[]): void {
  const sorted = [...values].sort((a, b) => a - b);
  const median = sorted[Math.floor(sorted.length / 2)] ?? NaN;
  console.log(
    `${label.padEnd(48)} median ${String(Math.round(median)).padStart(6)} ms   min ${Math.round(sorted[0] ?? NaN)}   max ${Math.round(sorted.at(-1) ?? NaN)}   (n=${values.length})`,
  );
}

async function post(
  h: Harness,
  path: string,
  json?: unknown,
): Promise<{ id: string; status: string }> {
  const r = await h.api(path, { method: 'POST', ...(json ? { json } : {}) });
  return (await r.json()) as { id: string; status: string };
}

async function destroy(h: Harness, name: string): Promise<number> {
  const started = Date.now();
  const r = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
  await waitForDeployment(h, ((await r.json()) as { id: string }).id);
  return Date.now() - started;
}

/** Lifecycle figures: coalescing, cancels, TTL, on top of create, no-op up and destroy. */
export async function measureLifecycle(): Promise<void> {
  const h = await startHarness();
  const ups: number[] = [];
  const destroys: number[] = [];
  const noops: number[] = [];
  const coalesce: number[] = [];
  const cancelQueued: number[] = [];
  const cancelRunning: number[] = [];
  const ttl: number[] = [];
  try {
    for (let run = 0; run < RUNS; run++) {
      const name = uniqueName('bench');
      let t = Date.now();
      await createEnvironment(h, {
        name,
        layers: { data: { target: 'local' }, storage: { target: 'local' } },
      });
      ups.push(Date.now() - t);

      t = Date.now();
      await waitForDeployment(
        h,
        (await post(h, `/v1/environments/${name}/deployments`, { operation: 'up' })).id,
      );
      noops.push(Date.now() - t);

      // Ten redeploy requests at once: how long until each is answered and the extra ones superseded.
      t = Date.now();
      const burst = await Promise.all(
        Array.from({ length: 10 }, () =>
          post(h, `/v1/environments/${name}/deployments`, { operation: 'up' }),
        ),
      );
      coalesce.push(Date.now() - t);
      await Promise.all(burst.map((d) => waitForDeployment(h, d.id)));

      const running = await post(h, `/v1/environments/${name}/deployments`, { operation: 'up' });
      const queued = await post(h, `/v1/environments/${name}/deployments`, {
        operation: 'refresh',
      });
      await waitForDeployment(h, running.id, 60_000, ['running']);
      t = Date.now();
      await post(h, `/v1/deployments/${queued.id}/cancel`);
      cancelQueued.push(Date.now() - t);
      t = Date.now();
      await post(h, `/v1/deployments/${running.id}/cancel`);
      await waitForDeployment(h, running.id);
      cancelRunning.push(Date.now() - t);

      destroys.push(await destroy(h, name));

      const short = uniqueName('bench-ttl');
      await createEnvironment(h, {
        name: short,
        ttl: '3s',
        layers: { storage: { target: 'local' } },
      });
      let expiresAt = '';
      for (let i = 0; i < 50 && !expiresAt; i++) {
        const env = (await (await h.api(`/v1/environments/${short}`)).json()) as {
          expiresAt?: string;
          updatedAt: string;
        };
        if (env.expiresAt && Date.parse(env.expiresAt) > Date.parse(env.updatedAt) - 10)
          expiresAt = env.expiresAt;
        await new Promise((r) => setTimeout(r, 100));
      }
      while ((await h.api(`/v1/environments/${short}`)).status !== 404)
        await new Promise((r) => setTimeout(r, 50));
      ttl.push(Date.now() - Date.parse(expiresAt));
    }
  } finally {
    await h.close();
  }
  console.log(`local target, ${RUNS} runs (data + storage layers unless noted)`);
  summary('create + up, until succeeded', ups);
  summary('no-op up', noops);
  summary('destroy + forget', destroys);
  summary('10 concurrent up requests answered (coalesced)', coalesce);
  summary('cancel of a queued deployment', cancelQueued);
  summary('cancel of a running deployment, until ended', cancelRunning);
  summary('TTL expiry until gone (storage only)', ttl);
}
