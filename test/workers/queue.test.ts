import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import type { Deployment } from '../helpers/api-types';
import { startHarness, uniqueName, waitForDeployment, type Harness } from '../helpers/harness';

/** A deployment that has run to its end: both times are set. */
type Finished = Deployment & { startedAt: string; finishedAt: string };

describe('deployments of one environment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('concurrent ups on one environment run one after the other, none fails on a lock', async () => {
    const name = uniqueName('serial');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { data: { target: 'local' }, storage: { target: 'local' } } },
    });
    assert.equal(created.status, 202);
    const first = ((await created.json()) as { deployment: Deployment }).deployment;
    // Each touches stacks the first is working on; different layers, so neither replaces the other.
    const [a, b] = await Promise.all(
      [['data'], ['storage']].map(async (layers) => {
        const r = await h.api(`/v1/environments/${name}/deployments`, {
          method: 'POST',
          json: { operation: 'up', layers },
        });
        assert.equal(r.status, 202);
        return (await r.json()) as Deployment;
      }),
    );
    assert.ok(a && b);
    // The later ones wait behind the first in the environment's line.
    assert.ok((a.queuePosition ?? 0) >= 1 && (b.queuePosition ?? 0) >= 1);

    const done = [] as Finished[];
    for (const d of [first, a, b])
      done.push((await waitForDeployment(h, d.id)) as unknown as Finished);
    for (const d of done) assert.equal(d.status, 'succeeded', d.error);
    const spans = done
      .map((d) => [Date.parse(d.startedAt), Date.parse(d.finishedAt)] as const)
      .sort((x, y) => x[0] - y[0]);
    for (let i = 1; i < spans.length; i++) {
      assert.ok(
        spans[i]![0] >= spans[i - 1]![1],
        `deployments overlapped: ${JSON.stringify(spans)}`,
      );
    }
    const destroy = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
    assert.equal(
      (await waitForDeployment(h, ((await destroy.json()) as Deployment).id)).status,
      'succeeded',
    );
  });
});
