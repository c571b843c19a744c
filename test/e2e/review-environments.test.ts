/**
 * Review environments as a repository meets them: signed GitHub `pull_request` deliveries open,
 * update and close a pull request, and its environment is created, redeployed and destroyed
 * through the real engine on the `local` target.
 */
import assert from 'node:assert/strict';
import { createHmac, randomUUID } from 'node:crypto';
import { after, before, describe, it } from 'node:test';
import { startHarness, uniqueName, waitForDeployment, type Harness } from '../helpers/harness';

const SECRET = 'review-webhook-secret';

interface Intake {
  message: string;
  deployments: {
    id: string;
    environment: string;
    operation: string;
    trigger: Record<string, unknown>;
  }[];
}

describe('review environments from pull requests', () => {
  let h: Harness;
  const templates: string[] = [];

  before(async () => {
    h = await startHarness({ env: { GITHUB_WEBHOOK_SECRET: SECRET } });
  });
  after(async () => {
    for (const name of templates)
      await h.app.strata.reviewTemplates.delete(name).catch(() => undefined);
    await h.close();
  });

  const deliver = async (
    event: string,
    payload: unknown,
  ): Promise<{ status: number; body: Intake }> => {
    const body = JSON.stringify(payload);
    const response = await fetch(`${h.url}/v1/webhooks/github`, {
      method: 'POST',
      headers: {
        'content-type': 'application/json',
        'x-github-event': event,
        'x-github-delivery': randomUUID(),
        'x-hub-signature-256': `sha256=${createHmac('sha256', SECRET).update(body).digest('hex')}`,
      },
      body,
    });
    return { status: response.status, body: (await response.json()) as Intake };
  };

  const pullRequest = (
    repository: string,
    number: number,
    action: string,
    options: { sha?: string; fork?: boolean; labels?: string[]; label?: string } = {},
  ) => ({
    action,
    number,
    ...(options.label ? { label: { name: options.label } } : {}),
    repository: { full_name: repository },
    sender: { login: 'octocat' },
    pull_request: {
      number,
      labels: (options.labels ?? []).map((name) => ({ name })),
      head: {
        sha: options.sha ?? 'a'.repeat(40),
        ref: `feature-${number}`,
        repo: { full_name: options.fork ? `someone/${repository.split('/')[1]}` : repository },
      },
      base: { repo: { full_name: repository } },
    },
  });

  const template = async (json: Record<string, unknown>) => {
    const response = await h.api('/v1/review-templates', { method: 'POST', json });
    const body = (await response.json()) as Record<string, unknown>;
    if (response.status === 201) templates.push(String(body.name));
    return { status: response.status, body };
  };

  const environmentsOf = async (ref: string): Promise<{ name: string; reviewOf?: string }[]> => {
    const response = await h.api(`/v1/environments?reviewOf=${encodeURIComponent(ref)}`);
    assert.equal(response.status, 200);
    return ((await response.json()) as { environments: { name: string; reviewOf?: string }[] })
      .environments;
  };

  /** Polls until the environment is gone; returns how long that took. */
  const gone = async (name: string): Promise<number> => {
    const started = performance.now();
    for (let i = 0; i < 1200; i++) {
      if ((await h.api(`/v1/environments/${name}`)).status === 404)
        return performance.now() - started;
      await new Promise((r) => setTimeout(r, 100));
    }
    throw new Error(`environment ${name} is still there`);
  };

  it('refuses a template whose config an environment could not have, at creation', async () => {
    const bad = await template({
      name: uniqueName('tpl'),
      repository: 'acme/shop',
      layers: {
        network: {
          target: 'aws',
          config: { azCount: 3, availabilityZones: ['eu-west-1a', 'eu-west-1b'] },
        },
      },
    });
    assert.equal(bad.status, 400);
    assert.match(String(bad.body.message), /availabilityZones: lists 2 zones but azCount is 3/);
    const noNumber = await template({
      name: uniqueName('tpl'),
      repository: 'acme/shop',
      layers: { storage: { target: 'local' } },
      namePattern: 'preview-{repo}',
    });
    assert.equal(noNumber.status, 400);
    assert.match(String(noNumber.body.message), /must contain \{number\}/);
  });

  it('opened creates and deploys, synchronize redeploys at the head commit, closed destroys and forgets', async () => {
    // A repository name far longer than an environment name may be.
    const repository = `acme/${uniqueName('a-very-long-repository-name-for-the-shop-frontend')}`;
    const created = await template({
      name: uniqueName('tpl'),
      repository,
      layers: { storage: { target: 'local' } },
      ttl: '2h',
    });
    assert.equal(created.status, 201, JSON.stringify(created.body));
    const ref = `${repository}#42`;

    const opened = await deliver('pull_request', pullRequest(repository, 42, 'opened'));
    assert.equal(opened.status, 202, opened.body.message);
    const [first] = opened.body.deployments;
    assert.ok(first);
    assert.match(first.environment, /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/);
    assert.match(first.environment, /-pr-42$/);
    assert.equal((await waitForDeployment(h, first.id)).status, 'succeeded');
    assert.deepEqual(
      (await environmentsOf(ref)).map((e) => [e.name, e.reviewOf]),
      [[first.environment, ref.toLowerCase()]],
    );
    assert.deepEqual(await environmentsOf(`${repository}#43`), []);

    const head = 'b'.repeat(40);
    const pushed = await deliver(
      'pull_request',
      pullRequest(repository, 42, 'synchronize', { sha: head }),
    );
    assert.equal(pushed.status, 202, pushed.body.message);
    const [redeploy] = pushed.body.deployments;
    assert.equal(redeploy?.environment, first.environment);
    assert.equal(redeploy?.operation, 'up');
    assert.deepEqual(redeploy?.trigger, {
      kind: 'webhook',
      repository,
      pullRequest: 42,
      branch: 'feature-42',
      commit: head,
      actor: 'octocat',
    });
    assert.equal((await waitForDeployment(h, redeploy.id)).status, 'succeeded');

    const closedAt = performance.now();
    const closed = await deliver(
      'pull_request',
      pullRequest(repository, 42, 'closed', { sha: head }),
    );
    assert.equal(closed.status, 202, closed.body.message);
    const [destroy] = closed.body.deployments;
    assert.equal(destroy?.operation, 'destroy');
    await gone(first.environment);
    const elapsed = performance.now() - closedAt;
    console.log(`review environment gone ${Math.round(elapsed)} ms after the closed delivery`);
    assert.equal((await waitForDeployment(h, destroy.id)).status, 'succeeded');
    assert.deepEqual(await environmentsOf(ref), []);

    // A late `opened` redelivered after the close creates nothing.
    const late = await deliver('pull_request', pullRequest(repository, 42, 'opened'));
    assert.equal(late.status, 200);
    assert.deepEqual(late.body.deployments, []);
  });

  it('a pull request closed while its environment is being created ends with it destroyed', async () => {
    const repository = `acme/${uniqueName('race')}`;
    assert.equal(
      (
        await template({
          name: uniqueName('tpl'),
          repository,
          layers: { storage: { target: 'local' } },
        })
      ).status,
      201,
    );
    const opened = await deliver('pull_request', pullRequest(repository, 7, 'opened'));
    const closed = await deliver('pull_request', pullRequest(repository, 7, 'closed'));
    const [up] = opened.body.deployments;
    const [destroy] = closed.body.deployments;
    assert.ok(up && destroy, `${opened.body.message} / ${closed.body.message}`);
    assert.equal(destroy.environment, up.environment);
    await gone(up.environment);
    assert.equal((await waitForDeployment(h, up.id)).status, 'succeeded');
    assert.equal((await waitForDeployment(h, destroy.id)).status, 'succeeded');
    assert.deepEqual(await environmentsOf(`${repository}#7`), []);
  });

  it('ignores forks unless allowed, and with a label only labelled pull requests get one', async () => {
    const repository = `acme/${uniqueName('labels')}`;
    assert.equal(
      (
        await template({
          name: uniqueName('tpl'),
          repository,
          layers: { storage: { target: 'local' } },
          label: 'preview',
        })
      ).status,
      201,
    );
    const fork = await deliver(
      'pull_request',
      pullRequest(repository, 1, 'opened', { fork: true, labels: ['preview'] }),
    );
    assert.equal(fork.status, 200);
    assert.match(fork.body.message, /fork/);
    const unlabelled = await deliver('pull_request', pullRequest(repository, 2, 'opened'));
    assert.equal(unlabelled.status, 200);
    assert.match(unlabelled.body.message, /does not carry the label "preview"/);

    const labelled = await deliver(
      'pull_request',
      pullRequest(repository, 2, 'labeled', { labels: ['preview'], label: 'preview' }),
    );
    assert.equal(labelled.status, 202, labelled.body.message);
    const [up] = labelled.body.deployments;
    assert.ok(up);
    const removed = await deliver(
      'pull_request',
      pullRequest(repository, 2, 'unlabeled', { label: 'preview' }),
    );
    assert.equal(removed.status, 202, removed.body.message);
    await gone(up.environment);
  });
});
