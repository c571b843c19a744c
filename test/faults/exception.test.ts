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

describe('an exception inside a deployment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  it('ends it failed with what happened, and the next deployment of the environment runs', async () => {
    const name = uniqueName('throws');
    const first = await createEnvironment(h, { name, layers: { storage: { target: 'local' } } });
    assert.equal(first.status, 'succeeded');

    // A record Strata cannot work with: recording the layer's new state throws.
    const { redis, keys } = h.app.strata;
    const key = keys.environment(name);
    const good = (await redis.get(key)) as string;
    await redis.set(key, JSON.stringify({ ...JSON.parse(good), layerStates: null }));
    const response = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    const { id } = (await response.json()) as { id: string };
    const broken = await waitForDeployment(h, id);
    assert.equal(broken.status, 'failed');
    assert.match(String(broken.error), /^internal error: /);
    const events = await readEvents(await h.api(`/v1/deployments/${id}/events`));
    assert.deepEqual(events.at(-1)?.data, { status: 'failed' });
    // The environment is not left held by the failed deployment.
    assert.equal(await h.app.strata.lifecycle.isBusy(name), false);

    await redis.set(key, good);
    const next = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    const nextId = ((await next.json()) as { id: string }).id;
    assert.equal((await waitForDeployment(h, nextId)).status, 'succeeded');
  });
});
