import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readEvents, uniqueName } from '../helpers/harness';
import { pause, StrataProcesses } from '../helpers/servers';

describe('cancel while no worker runs', () => {
  let strata: StrataProcesses;
  before(async () => {
    strata = await StrataProcesses.start();
  });
  after(async () => {
    await strata.close();
  });

  it('is kept, and ends the deployment cancelled when a worker comes back', async () => {
    const name = uniqueName('cancel-dead');
    const id = await strata.create({ name, layers: { data: { target: 'local' } } });
    await strata.waitFor(id, ['running']);
    await pause(1_000);
    await strata.killWorker();

    const cancel = await strata.api(`/v1/deployments/${id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    // Nobody runs it now, so nobody has ended it yet.
    assert.equal((await strata.deployment(id)).status, 'running');

    strata.startWorker();
    const ended = await strata.waitFor(id);
    assert.equal(ended.status, 'cancelled');
    assert.match(ended.error ?? '', /cancelled by admin/);
    const events = await readEvents(await strata.api(`/v1/deployments/${id}/events`));
    assert.deepEqual(events.at(-1)?.data, { status: 'cancelled' });
    assert.deepEqual(strata.strays(), []);

    // The environment is free: the next up runs and succeeds.
    assert.equal((await strata.waitFor(await strata.deploy(name))).status, 'succeeded');
    assert.equal((await strata.destroy(name)).status, 'succeeded');
  });
});
