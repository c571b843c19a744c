import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startHarness, uniqueName, type Harness } from '../helpers/harness';

const SECRET = 'webhook-secret-for-tests';

interface Intake {
  message: string;
  deployments: { id: string; environment: string; trigger: Record<string, string> }[];
}

function sign(body: string, secret = SECRET): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

describe('GitHub webhooks and deploy hooks', () => {
  let h: Harness;
  let repo: string;
  const envs: string[] = [];

  before(async () => {
    h = await startHarness({ worker: false, env: { GITHUB_WEBHOOK_SECRET: SECRET } });
    repo = `Acme/${uniqueName('shop')}`;
    for (const [name, branch] of [
      [uniqueName('main-a'), 'main'],
      [uniqueName('main-b'), 'main'],
      [uniqueName('dev'), 'dev'],
    ] as const) {
      const r = await h.api('/v1/environments', {
        method: 'POST',
        json: {
          name,
          layers: { storage: { target: 'local' } },
          source: { repo: repo.toLowerCase(), branch },
        },
      });
      assert.equal(r.status, 202);
      envs.push(name);
    }
  });
  after(async () => {
    for (const name of envs) await h.app.strata.store.deleteEnvironment(name);
    await h.close();
  });

  const waiting = async (): Promise<number> =>
    (await h.app.strata.lifecycle.queue.getJobCounts()).waiting ?? 0;

  const deliver = (
    event: string,
    payload: unknown,
    options: { signature?: string; delivery?: string } = {},
  ) => {
    const body = JSON.stringify(payload);
    const headers: Record<string, string> = {
      'content-type': 'application/json',
      'x-github-event': event,
      'x-github-delivery': options.delivery ?? randomUUID(),
    };
    if (options.signature !== '') headers['x-hub-signature-256'] = options.signature ?? sign(body);
    return fetch(`${h.url}/v1/webhooks/github`, { method: 'POST', headers, body });
  };

  const push = (branch: string) => ({
    ref: `refs/heads/${branch}`,
    after: 'deadbeefcafe0123456789',
    repository: { full_name: repo },
    pusher: { name: 'octocat' },
  });

  it('a ping answers 2xx', async () => {
    const r = await deliver('ping', { zen: 'Keep it logically awesome.' });
    assert.equal(r.status, 200);
    assert.match(((await r.json()) as Intake).message, /pong/);
  });

  it('a signed push redeploys every environment following that repository and branch', async () => {
    const before = await waiting();
    const delivery = randomUUID();
    const r = await deliver('push', push('main'), { delivery });
    assert.equal(r.status, 202);
    const body = (await r.json()) as Intake;
    assert.deepEqual(body.deployments.map((d) => d.environment).sort(), envs.slice(0, 2).sort());
    for (const d of body.deployments) {
      assert.deepEqual(d.trigger, {
        kind: 'webhook',
        repository: repo,
        branch: 'main',
        commit: 'deadbeefcafe0123456789',
        actor: 'octocat',
      });
    }
    // Each push replaces the environment's earlier up that was still waiting (no worker runs here).
    for (const d of body.deployments) {
      const history = (await (
        await h.api(`/v1/environments/${d.environment}/deployments`)
      ).json()) as {
        deployments: { id: string; status: string; supersededBy?: string }[];
      };
      assert.equal(history.deployments[0]?.id, d.id);
      assert.equal(history.deployments[0]?.status, 'queued');
      assert.equal(history.deployments[1]?.status, 'superseded');
      assert.equal(history.deployments[1]?.supersededBy, d.id);
    }
    assert.equal(await waiting(), before);

    // GitHub redelivers the same delivery id: nothing is queued twice.
    const again = await deliver('push', push('main'), { delivery });
    assert.equal(again.status, 200);
    assert.match(
      ((await again.json()) as Intake).message,
      new RegExp(`delivery ${delivery} was already handled`),
    );
    assert.equal(await waiting(), before);
    const after = (await (await h.api(`/v1/environments/${envs[0]}/deployments`)).json()) as {
      deployments: unknown[];
    };
    assert.equal(after.deployments.length, 2);
  });

  it('a forged or missing signature is refused and queues nothing', async () => {
    const before = await waiting();
    const forged = await deliver('push', push('main'), { signature: sign('{}', 'not-the-secret') });
    assert.equal(forged.status, 401);
    assert.match(((await forged.json()) as { message: string }).message, /does not match/);
    const unsigned = await deliver('push', push('main'), { signature: '' });
    assert.equal(unsigned.status, 401);
    assert.equal(await waiting(), before);
  });

  it('another branch, a tag or another event answers 2xx with the reason and queues nothing', async () => {
    const before = await waiting();
    const other = await deliver('push', push('feature-x'));
    assert.equal(other.status, 200);
    assert.match(
      ((await other.json()) as Intake).message,
      new RegExp(`no environment follows ${repo}@feature-x`),
    );
    const tag = await deliver('push', { ...push('main'), ref: 'refs/tags/v1' });
    assert.match(((await tag.json()) as Intake).message, /only branch pushes redeploy/);
    const issue = await deliver('issues', { action: 'opened' });
    assert.equal(issue.status, 200);
    assert.match(((await issue.json()) as Intake).message, /ignored a issues event/);
    assert.equal(await waiting(), before);
  });

  it('a deploy hook redeploys its environment; a wrong token reveals nothing; rotation revokes', async () => {
    const name = uniqueName('hooked');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { storage: { target: 'local' } } },
    });
    envs.push(name);
    const { deployHook } = (await created.json()) as { deployHook: string };
    const hookPath = new URL(deployHook).pathname;

    const called = await fetch(`${h.url}${hookPath}`, { method: 'POST' });
    assert.equal(called.status, 202);
    const deployment = (await called.json()) as {
      environment: string;
      trigger: { kind: string };
      operation: string;
    };
    assert.equal(deployment.environment, name);
    assert.deepEqual(deployment.trigger, { kind: 'hook' });
    assert.equal(deployment.operation, 'up');

    const wrong = await fetch(`${h.url}/v1/hooks/not-a-real-token`, { method: 'POST' });
    assert.equal(wrong.status, 404);
    assert.deepEqual(await wrong.json(), {
      statusCode: 404,
      error: 'Not Found',
      message: 'unknown deploy hook',
    });

    const rotated = await h.api(`/v1/environments/${name}/hooks`, { method: 'POST' });
    assert.equal(rotated.status, 201);
    const fresh = new URL(((await rotated.json()) as { deployHook: string }).deployHook).pathname;
    assert.notEqual(fresh, hookPath);
    assert.equal((await fetch(`${h.url}${hookPath}`, { method: 'POST' })).status, 404);
    assert.equal((await fetch(`${h.url}${fresh}`, { method: 'POST' })).status, 202);
  });

  it('PATCH moves an environment to another branch for webhooks and validates what it changes', async () => {
    const name = envs[2]!;
    const moved = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { source: { repo, branch: 'release' } },
    });
    assert.equal(moved.status, 200);
    const r = await deliver('push', push('release'));
    assert.deepEqual(
      ((await r.json()) as Intake).deployments.map((d) => d.environment),
      [name],
    );
    assert.match(
      ((await (await deliver('push', push('dev'))).json()) as Intake).message,
      /no environment follows/,
    );

    const bad = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { ttl: 'forever' },
    });
    assert.equal(bad.status, 400);
    const badCron = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { drift: { schedule: 'every day' } },
    });
    assert.equal(badCron.status, 400);
    assert.match(
      ((await badCron.json()) as { message: string }).message,
      /body\.drift\.schedule: "every day" is not a cron pattern/,
    );
    const ttl = (await (
      await h.api(`/v1/environments/${name}`, { method: 'PATCH', json: { ttl: '2h' } })
    ).json()) as { ttl: string; expiresAt: string };
    assert.equal(ttl.ttl, '2h');
    const left = Date.parse(ttl.expiresAt) - Date.now();
    assert.ok(left > 7_100_000 && left <= 7_200_000, `expires in ${left} ms`);
  });
});

describe('GitHub intake without a secret', () => {
  it('is off, and says how to turn it on', async () => {
    const h = await startHarness({ worker: false, env: { GITHUB_WEBHOOK_SECRET: '' } });
    try {
      const r = await fetch(`${h.url}/v1/webhooks/github`, {
        method: 'POST',
        body: '{}',
        headers: { 'content-type': 'application/json' },
      });
      assert.equal(r.status, 503);
      assert.match(((await r.json()) as { message: string }).message, /set GITHUB_WEBHOOK_SECRET/);
    } finally {
      await h.close();
    }
  });
});
