import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { startWorker } from '../../workers/worker';
import type { Deployment } from '../helpers/api-types';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';

const ALICE = 'alice-token-0123456789abcdef';
const BOB = 'bob-token-0123456789abcdefgh';

describe('approvals bind what is applied', () => {
  let h: Harness;
  const tokens = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tokens-')), 't.json');
  before(async () => {
    fs.writeFileSync(
      tokens,
      JSON.stringify([
        { name: 'alice', token: ALICE, scopes: ['read', 'deploy', 'secrets:read'] },
        { name: 'bob', token: BOB, scopes: ['read', 'deploy'] },
      ]),
    );
    h = await startHarness({
      env: { STRATA_TOKENS_FILE: tokens, STRATA_ALLOW_SELF_APPROVAL: 'false' },
    });
  });
  after(async () => {
    await h.close();
    fs.rmSync(path.dirname(tokens), { recursive: true, force: true });
  });

  const as = (token: string) => ({ authorization: `Bearer ${token}` });
  const approve = (id: string, token = BOB) =>
    h.api(`/v1/deployments/${id}/approve`, { method: 'POST', headers: as(token) });
  const held = (id: string) => waitForDeployment(h, id, 60_000, ['pending_approval', 'failed']);

  it('applies the config the approver saw, and a PATCH supersedes what still waits', async () => {
    const name = uniqueName('snapshot');
    const first = (await createEnvironment(
      h,
      { name, requireApproval: true, layers: { storage: { target: 'local' } } },
      ['pending_approval', 'failed'],
    )) as unknown as Deployment;
    assert.equal(first.status, 'pending_approval', first.error);

    // A config change while it waits: what was shown is no longer what would be applied.
    const patched = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      headers: as(ALICE),
      json: { config: { bucket: `${name}-b` } },
    });
    assert.equal(patched.status, 200);
    const superseded = (await waitForDeployment(h, first.id)) as unknown as Deployment;
    assert.equal(superseded.status, 'superseded');
    assert.match(superseded.error ?? '', /config changed \(PATCH by alice\)/);

    // Previewed with bucket "<name>-b"; then the config changes again before the apply runs.
    const second = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      headers: as(ALICE),
      json: { operation: 'up' },
    });
    const secondId = ((await second.json()) as Deployment).id;
    assert.equal((await held(secondId)).status, 'pending_approval');
    const worker = h.worker!;
    await worker.close();
    assert.equal((await approve(secondId)).status, 202);
    await h.app.strata.store.updateEnvironment(name, (e) => ({
      ...e,
      layers: { storage: { target: 'local', config: { bucket: `${name}-c` } } },
    }));
    h.worker = await startWorker({
      settings: h.settings,
      logger: pino({ level: 'silent' }),
      queueName: h.queueName,
    });
    const applied = (await waitForDeployment(h, secondId)) as unknown as Deployment;
    assert.equal(applied.status, 'succeeded', applied.error);
    const bundle = (await (
      await h.api(`/v1/environments/${name}/env?format=json`, { headers: as(ALICE) })
    ).json()) as Record<string, string>;
    assert.equal(bundle.STORAGE_BUCKET, `${name}-b`);
  });

  it('holds a DELETE of an environment that requires approval', async () => {
    const name = uniqueName('held-delete');
    const created = (await createEnvironment(
      h,
      { name, requireApproval: true, layers: { storage: { target: 'local' } } },
      ['pending_approval', 'failed'],
    )) as unknown as Deployment;
    assert.equal((await approve(created.id)).status, 202);
    assert.equal((await waitForDeployment(h, created.id)).status, 'succeeded');

    const asked = await h.api(`/v1/environments/${name}`, { method: 'DELETE', headers: as(ALICE) });
    const destroy = (await asked.json()) as Deployment;
    const holding = (await held(destroy.id)) as unknown as Deployment;
    assert.equal(holding.status, 'pending_approval', holding.error);
    const planned = holding.approval?.plannedSteps.storage ?? [];
    assert.ok(
      planned.some((s) => s.op === 'delete'),
      JSON.stringify(planned),
    );
    assert.equal((await h.api(`/v1/environments/${name}`)).status, 200, 'nothing destroyed yet');

    assert.equal((await approve(destroy.id)).status, 202);
    assert.equal((await waitForDeployment(h, destroy.id)).status, 'succeeded');
    assert.equal((await h.api(`/v1/environments/${name}`)).status, 404);
  });

  it('refuses to let a token approve its own deployment when the installation says so', async () => {
    const name = uniqueName('self');
    const response = await h.api('/v1/environments', {
      method: 'POST',
      headers: as(ALICE),
      json: { name, requireApproval: true, layers: { storage: { target: 'local' } } },
    });
    const { deployment } = (await response.json()) as { deployment: Deployment };
    assert.equal((await held(deployment.id)).status, 'pending_approval');
    const own = await approve(deployment.id, ALICE);
    assert.equal(own.status, 403);
    assert.match(((await own.json()) as { message: string }).message, /STRATA_ALLOW_SELF_APPROVAL/);
    assert.equal((await approve(deployment.id, BOB)).status, 202);
    assert.equal((await waitForDeployment(h, deployment.id)).status, 'succeeded');
  });
});
