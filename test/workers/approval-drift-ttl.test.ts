import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';
import { databaseExists, dropRoleBehindStrata, roleExists } from '../helpers/postgres';
import { localIdentifier } from '../../programs/local/data';
import type { Deployment, Environment } from '../helpers/api-types';

describe('approvals, drift and TTL', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const post = async (name: string, json: unknown): Promise<Deployment> => {
    const r = await h.api(`/v1/environments/${name}/deployments`, { method: 'POST', json });
    assert.equal(r.status, 202);
    return (await r.json()) as Deployment;
  };
  const env = async (name: string): Promise<Environment> =>
    (await (await h.api(`/v1/environments/${name}`)).json()) as Environment;
  const destroy = async (name: string) =>
    waitForDeployment(
      h,
      ((await (await h.api(`/v1/environments/${name}`, { method: 'DELETE' })).json()) as Deployment)
        .id,
    );

  it('holds an up for approval with its preview, applies it once approved, and rejects', async () => {
    const name = uniqueName('approve');
    const role = localIdentifier(name);
    const held = (await createEnvironment(
      h,
      { name, requireApproval: true, layers: { data: { target: 'local' } } },
      ['pending_approval', 'failed'],
    )) as unknown as Deployment;
    assert.equal(held.status, 'pending_approval', held.error);
    const planned = held.approval?.plannedSteps.data ?? [];
    assert.ok(
      planned.some((s) => s.op === 'create' && s.urn.endsWith('PostgresRole::role')),
      JSON.stringify(planned),
    );
    assert.equal(await roleExists(role), false, 'a held deployment changes nothing');

    const approve = await h.api(`/v1/deployments/${held.id}/approve`, { method: 'POST' });
    assert.equal(approve.status, 202);
    const applied = (await waitForDeployment(h, held.id)) as unknown as Deployment;
    assert.equal(applied.status, 'succeeded', applied.error);
    assert.equal(applied.approval?.approvedBy, 'admin');
    assert.equal(await roleExists(role), true);
    assert.equal(
      (await h.api(`/v1/deployments/${held.id}/approve`, { method: 'POST' })).status,
      409,
    );

    const second = await post(name, { operation: 'up' });
    assert.equal(
      (await waitForDeployment(h, second.id, 60_000, ['pending_approval'])).status,
      'pending_approval',
    );
    const reject = await h.api(`/v1/deployments/${second.id}/reject`, { method: 'POST' });
    assert.equal(reject.status, 200);
    const rejected = (await reject.json()) as Deployment;
    assert.equal(rejected.status, 'cancelled');
    assert.equal(rejected.approval?.rejectedBy, 'admin');

    // Reality changes between the preview and the approval: nothing different is applied.
    const third = await post(name, { operation: 'up' });
    await waitForDeployment(h, third.id, 60_000, ['pending_approval']);
    await dropRoleBehindStrata(role);
    await h.api(`/v1/deployments/${third.id}/approve`, { method: 'POST' });
    const refused = (await waitForDeployment(h, third.id)) as unknown as Deployment;
    assert.equal(refused.status, 'failed');
    assert.match(refused.error ?? '', /differ from the approved preview/);
    assert.equal(await roleExists(role), false, 'the unapproved change was not applied');

    await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { drift: { schedule: 'off' } },
    });
    // A destroy of an environment that requires approval is held for approval too.
    const cleanup = await post(name, { operation: 'destroy' });
    await waitForDeployment(h, cleanup.id, 60_000, ['pending_approval']);
    await h.api(`/v1/deployments/${cleanup.id}/approve`, { method: 'POST' });
    assert.equal((await waitForDeployment(h, cleanup.id)).status, 'succeeded');
    await h.app.strata.store.deleteEnvironment(name);
  });

  it('finds drift without changing anything, is repaired by up, and can remediate on its own', async () => {
    const name = uniqueName('drift');
    const role = localIdentifier(name);
    assert.equal(
      (await createEnvironment(h, { name, layers: { data: { target: 'local' } } })).status,
      'succeeded',
    );

    const clean = (await waitForDeployment(
      h,
      (await post(name, { operation: 'drift' })).id,
    )) as unknown as Deployment;
    assert.equal(clean.status, 'succeeded', clean.error);
    assert.equal(clean.drift, false);
    assert.equal((await env(name)).drift, false);

    await dropRoleBehindStrata(role);
    const found = (await waitForDeployment(
      h,
      (await post(name, { operation: 'drift' })).id,
    )) as unknown as Deployment;
    assert.equal(found.drift, true);
    assert.deepEqual(
      found.layerRuns.data?.driftedResources?.map((r) => [r.urn.split('::').at(-1), r.op]).sort(),
      [
        ['database', 'update'],
        ['role', 'delete'],
      ],
    );
    const drifted = await env(name);
    assert.equal(drifted.drift, true);
    assert.ok(drifted.driftedResources?.some((r) => r.layer === 'data' && r.op === 'delete'));
    assert.equal(await roleExists(role), false, 'drift changes nothing');

    const repaired = (await waitForDeployment(
      h,
      (await post(name, { operation: 'up' })).id,
    )) as unknown as Deployment;
    assert.equal(repaired.status, 'succeeded', repaired.error);
    assert.equal(await roleExists(role), true);
    assert.equal((await env(name)).drift, false);

    const patched = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { drift: { autoRemediate: true } },
    });
    assert.equal(patched.status, 200);
    await dropRoleBehindStrata(role);
    const check = (await waitForDeployment(
      h,
      (await post(name, { operation: 'drift' })).id,
    )) as unknown as Deployment;
    assert.equal(check.drift, true);
    const list = async () =>
      (
        (await (await h.api(`/v1/environments/${name}/deployments`)).json()) as {
          deployments: Deployment[];
        }
      ).deployments;
    let remedy: Deployment | undefined;
    for (let i = 0; i < 100 && !remedy; i++) {
      remedy = (await list()).find((d) => d.trigger.kind === 'drift' && d.id !== check.id);
      if (!remedy) await new Promise((r) => setTimeout(r, 100));
    }
    assert.ok(remedy, 'an up was queued to remediate');
    assert.equal((await waitForDeployment(h, remedy.id)).status, 'succeeded');
    assert.equal(await roleExists(role), true);

    await destroy(name);
  });

  it('destroys an environment on its own when its TTL runs out', async () => {
    const name = uniqueName('ttl');
    const db = localIdentifier(name);
    const up = await createEnvironment(h, {
      name,
      // Shorter than the first up takes: the expiry comes due while the environment is busy.
      ttl: '2s',
      layers: { data: { target: 'local' } },
    });
    assert.equal(up.status, 'succeeded');
    // The TTL counts from the end of the last deployment, not from creation; and it has moved
    // by the time the deployment says it ended, so no expiry check can come in between.
    const { expiresAt } = await env(name);
    assert.ok(expiresAt, 'an expiry when the deployment ended');
    const expiry = Date.parse(expiresAt);
    assert.ok(
      Math.abs(expiry - (Date.parse(String(up.finishedAt)) + 2_000)) < 1_000,
      `counted from the last deployment: expires ${expiresAt}, ended ${up.finishedAt}`,
    );
    assert.equal(await databaseExists(db), true);

    let destroyId: string | undefined;
    const deadline = Date.now() + 120_000;
    for (;;) {
      const r = await h.api(`/v1/environments/${name}/deployments`);
      if (r.status === 404) break;
      const latest = ((await r.json()) as { deployments: Deployment[] }).deployments[0];
      if (latest?.trigger.kind === 'ttl') destroyId = latest.id;
      assert.ok(Date.now() < deadline, 'the environment outlived its TTL by two minutes');
      await new Promise((res) => setTimeout(res, 100));
    }
    const goneAfterMs = Date.now() - expiry;
    assert.ok(goneAfterMs >= 0, `destroyed ${-goneAfterMs} ms before it expired`);
    assert.ok(destroyId, 'a ttl-triggered destroy ran');
    const destroyed = (await (await h.api(`/v1/deployments/${destroyId}`)).json()) as Deployment;
    assert.equal(destroyed.status, 'succeeded');
    assert.deepEqual(destroyed.trigger, { kind: 'ttl' });
    assert.equal(await databaseExists(db), false);
    assert.equal(await roleExists(db), false);
    console.log(`# ttl: environment gone ${goneAfterMs} ms after it expired (destroy included)`);
  });
});
