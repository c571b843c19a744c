import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { EnvironmentRecord } from '../../core/domain';
import {
  readEvents,
  seedDeployment,
  startHarness,
  uniqueName,
  type Harness,
  environmentRecord,
} from '../helpers/harness';

describe('event stream of a finished deployment', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('ends at once for a client resuming at or past its end (found by Schemathesis)', async () => {
    const now = new Date().toISOString();
    const env: EnvironmentRecord = environmentRecord({
      name: uniqueName('resume'),
      createdAt: now,
    });
    const deployment = {
      ...newDeployment(env, 'up', { kind: 'api' }),
      status: 'succeeded' as const,
      finishedAt: now,
    };
    await h.app.strata.store.createEnvironment(env);
    await seedDeployment(h.app.strata, deployment);
    const { events } = h.app.strata;
    await events.append(deployment.id, 'deployment', { status: 'succeeded' });
    await events.append(deployment.id, 'end', { status: 'succeeded' });

    for (const lastEventId of ['2', '7']) {
      const response = await h.api(`/v1/deployments/${deployment.id}/events`, {
        headers: { 'last-event-id': lastEventId },
      });
      assert.equal(response.status, 200);
      const got = await readEvents(response);
      assert.deepEqual(
        got.map((e) => [e.event, e.data]),
        [['end', { status: 'succeeded' }]],
      );
    }
    // From the start, the real events, ending with the recorded end.
    const all = await readEvents(await h.api(`/v1/deployments/${deployment.id}/events`));
    assert.deepEqual(
      all.map((e) => e.id),
      [1, 2],
    );
  });
});
