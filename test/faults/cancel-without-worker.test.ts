import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEvents, uniqueName } from '../helpers/harness';
import { pause, strataForSuite } from '../helpers/servers';

describe('cancel while no worker runs', () => {
  const servers = strataForSuite();

  it('is kept, and ends the deployment cancelled when a worker comes back', async () => {
    const name = uniqueName('cancel-dead');
    const id = await servers.strata.create({ name, layers: { data: { target: 'local' } } });
    await servers.strata.waitFor(id, ['running']);
    await pause(1_000);
    await servers.strata.killWorker();

    const cancel = await servers.strata.api(`/v1/deployments/${id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    // Nobody runs it now, so nobody has ended it yet.
    assert.equal((await servers.strata.deployment(id)).status, 'running');

    servers.strata.startWorker();
    const ended = await servers.strata.waitFor(id);
    assert.equal(ended.status, 'cancelled');
    assert.match(ended.error ?? '', /cancelled by admin/);
    const events = await readEvents(await servers.strata.api(`/v1/deployments/${id}/events`));
    assert.deepEqual(events.at(-1)?.data, { status: 'cancelled' });
    assert.deepEqual(servers.strata.strays(), []);

    // The environment is free: the next up runs and succeeds.
    assert.equal(
      (await servers.strata.waitFor(await servers.strata.deploy(name))).status,
      'succeeded',
    );
    assert.equal((await servers.strata.destroy(name)).status, 'succeeded');
  });
});
