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

/** The operation of each resource step the engine announced for a deployment. */
async function steps(h: Harness, id: string): Promise<string[]> {
  const events = await readEvents(await h.api(`/v1/deployments/${id}/events`));
  return events
    .filter((e) => e.event === 'engine')
    .map((e) => e.data as { resourcePreEvent?: { metadata: { op: string } } })
    .flatMap((e) => (e.resourcePreEvent ? [e.resourcePreEvent.metadata.op] : []));
}

describe('an up that asks for "refresh": false', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  it('skips the refresh, which a default up runs first', async () => {
    const name = uniqueName('no-refresh');
    const created = await createEnvironment(h, { name, layers: { storage: { target: 'local' } } });
    assert.equal(created.status, 'succeeded');

    const deploy = async (json: Record<string, unknown>) => {
      const r = await h.api(`/v1/environments/${name}/deployments`, { method: 'POST', json });
      assert.equal(r.status, 202);
      return (await r.json()) as { id: string; refresh?: boolean };
    };
    const plain = await deploy({ operation: 'up' });
    assert.equal((await waitForDeployment(h, plain.id)).status, 'succeeded');
    assert.ok((await steps(h, plain.id)).includes('refresh'), 'a default up refreshes first');

    const quick = await deploy({ operation: 'up', refresh: false });
    assert.equal(quick.refresh, false);
    assert.equal((await waitForDeployment(h, quick.id)).status, 'succeeded');
    const ops = await steps(h, quick.id);
    assert.ok(ops.length > 0, 'the up announced its steps');
    assert.ok(!ops.includes('refresh'), `it refreshed: ${ops.join(', ')}`);

    const refused = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'destroy', refresh: false },
    });
    assert.equal(refused.status, 400);
    assert.match(((await refused.json()) as { message: string }).message, /body\.refresh/);
  });
});
