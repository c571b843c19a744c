import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createEnvironment,
  readEvents,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';
import type { Deployment } from '../helpers/api-types';

describe('coalescing and cancel', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const get = async (id: string): Promise<Deployment> =>
    (await (await h.api(`/v1/deployments/${id}`)).json()) as Deployment;

  it('a burst of 10 deploy-hook calls ends in at most one running and one queued', async () => {
    const name = uniqueName('burst');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { storage: { target: 'local' } } },
    });
    const { deployment: first, deployHook } = (await created.json()) as {
      deployment: Deployment;
      deployHook: string;
    };
    assert.equal((await waitForDeployment(h, first.id)).status, 'succeeded');

    const started = Date.now();
    const calls = await Promise.all(
      Array.from({ length: 10 }, () =>
        fetch(new URL(deployHook).pathname.replace(/^/, h.url), { method: 'POST' }),
      ),
    );
    const answeredMs = Date.now() - started;
    const ids = await Promise.all(
      calls.map(async (r) => {
        assert.equal(r.status, 202);
        return ((await r.json()) as Deployment).id;
      }),
    );
    const statuses = await Promise.all(ids.map(async (id) => (await get(id)).status));
    const count = (s: string) => statuses.filter((x) => x === s).length;
    assert.ok(count('running') <= 1, statuses.join());
    assert.ok(count('queued') <= 1, statuses.join());
    assert.ok(count('superseded') >= 8, statuses.join());
    assert.ok((await h.app.strata.lifecycle.waitingCount(name)) <= 1);

    const finals = await Promise.all(
      ids.map(async (id) => (await waitForDeployment(h, id)).status),
    );
    const settledMs = Date.now() - started;
    assert.ok(
      finals.every((s) => s === 'succeeded' || s === 'superseded'),
      finals.join(),
    );
    assert.ok(finals.filter((s) => s === 'succeeded').length <= 2);
    // Nothing asked for is lost: every replaced deployment names the one that replaced it,
    // and the chain ends in a deployment that ran.
    const records = await Promise.all(ids.map((id) => get(id)));
    const byId = new Map(records.map((r) => [r.id, r as Deployment & { supersededBy?: string }]));
    for (const record of byId.values()) {
      let current = record;
      for (let hops = 0; current.status === 'superseded' && hops < 10; hops++) {
        const next = byId.get(current.supersededBy ?? '');
        assert.ok(next, `${current.id} was replaced by a deployment outside the burst`);
        current = next;
      }
      assert.equal(current.status, 'succeeded');
    }
    const superseded = ids.filter((_, i) => finals[i] === 'superseded');
    const replaced = (await (await h.api(`/v1/deployments/${superseded[0]}/events`)).text())
      .trim()
      .split('\n\n');
    assert.match(replaced.at(-1) ?? '', /event: end\ndata: \{"status":"superseded"\}/);
    console.log(
      `# coalescing: 10 hook calls answered in ${answeredMs} ms, ${superseded.length} superseded at once; all settled in ${settledMs} ms`,
    );

    await waitForDeployment(
      h,
      ((await (await h.api(`/v1/environments/${name}`, { method: 'DELETE' })).json()) as Deployment)
        .id,
    );
  });

  it('cancels a queued deployment at once and a running one through the engine, then deploys cleanly', async () => {
    const name = uniqueName('cancel');
    await createEnvironment(h, {
      name,
      layers: { data: { target: 'local' }, storage: { target: 'local' } },
    });

    const post = async (operation: string): Promise<Deployment> =>
      (await (
        await h.api(`/v1/environments/${name}/deployments`, { method: 'POST', json: { operation } })
      ).json()) as Deployment;

    // One running, one waiting behind it.
    const running = await post('up');
    const waiting = await post('refresh');
    await waitForDeployment(h, running.id, 60_000, ['running']);

    let t = Date.now();
    const cancelQueued = await h.api(`/v1/deployments/${waiting.id}/cancel`, { method: 'POST' });
    const queuedCancelMs = Date.now() - t;
    assert.equal(cancelQueued.status, 202);
    assert.equal(((await cancelQueued.json()) as Deployment).status, 'cancelled');
    const events = await readEvents(await h.api(`/v1/deployments/${waiting.id}/events`));
    assert.deepEqual(events.at(-1)?.data, { status: 'cancelled' });

    t = Date.now();
    const cancelRunning = await h.api(`/v1/deployments/${running.id}/cancel`, { method: 'POST' });
    assert.equal(cancelRunning.status, 202);
    const ended = (await waitForDeployment(h, running.id)) as unknown as Deployment;
    const runningCancelMs = Date.now() - t;
    assert.equal(ended.status, 'cancelled', ended.error);
    assert.ok(Object.values(ended.layerRuns).some((r) => r.status === 'cancelled'));
    const again = await h.api(`/v1/deployments/${running.id}/cancel`, { method: 'POST' });
    assert.equal(again.status, 409);

    // The stacks are unlocked and consistent: the next up succeeds.
    const next = await post('up');
    const done = (await waitForDeployment(h, next.id)) as unknown as Deployment;
    assert.equal(done.status, 'succeeded', done.error);
    console.log(
      `# cancel: queued deployment cancelled in ${queuedCancelMs} ms; running deployment ended cancelled ${runningCancelMs} ms after the request`,
    );

    await waitForDeployment(
      h,
      ((await (await h.api(`/v1/environments/${name}`, { method: 'DELETE' })).json()) as Deployment)
        .id,
    );
  });
});
