import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, uniqueName, type Harness } from '../helpers/harness';

describe('config rules across fields', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  const create = (layers: Record<string, unknown>) =>
    h.api('/v1/environments', { method: 'POST', json: { name: uniqueName('xfield'), layers } });

  async function refused(response: Response, message: RegExp): Promise<void> {
    const body = (await response.json()) as { message: string };
    assert.equal(response.status, 400, body.message);
    assert.match(body.message, message);
  }

  it('are checked before 202, so nothing is queued that the program would refuse', async () => {
    await refused(
      await create({
        compute: { target: 'aws', config: { mode: 'eks', nodeMinSize: 5, nodeMaxSize: 2 } },
      }),
      /layers\.compute\.config\.nodeMinSize: 5 is above nodeMaxSize 2/,
    );
    await refused(
      await create({
        storage: {
          target: 'aws',
          config: { transitionToIaDays: 120, transitionToGlacierDays: 100 },
        },
      }),
      /layers\.storage\.config\.transitionToGlacierDays: must be greater than transitionToIaDays/,
    );
    await refused(
      await create({
        network: {
          target: 'aws',
          config: { azCount: 3, availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
        },
      }),
      /layers\.network\.config\.availabilityZones: lists 2 zones but azCount is 3/,
    );
    await refused(
      await create({
        serverless: {
          target: 'gcp',
          config: { schedules: [{ name: 'nightly', schedule: '0 3 * * *' }] },
        },
      }),
      /layers\.serverless\.config\.schedules\[0\]: schedule nightly needs exactly one http `function` or `topic`/,
    );
    await refused(
      await create({ data: { target: 'gcp', config: { postgres: false, firestore: false } } }),
      /layers\.data\.config: enable postgres, firestore or both/,
    );
    const counts = await h.app.strata.lifecycle.queue.getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
    );
  });

  it('are checked when PATCH changes config', async () => {
    const name = uniqueName('xpatch');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { compute: { target: 'aws', config: { mode: 'eks' } } } },
    });
    assert.equal(created.status, 202, await created.text());
    await refused(
      await h.api(`/v1/environments/${name}`, {
        method: 'PATCH',
        json: { config: { nodeMinSize: 50 } },
      }),
      /layers\.compute\.config\.nodeMinSize: 50 is above nodeMaxSize/,
    );
    const env = (await (await h.api(`/v1/environments/${name}`)).json()) as {
      layers: { compute: { config: Record<string, unknown> } };
    };
    assert.equal(env.layers.compute.config.nodeMinSize, undefined);
  });
});
