import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, uniqueName, type Harness } from '../helpers/harness';

interface ErrorBody {
  statusCode: number;
  error: string;
  message: string;
}

describe('requests the API refuses', () => {
  let h: Harness;
  const tokensFile = path.join(
    fs.mkdtempSync(path.join(os.tmpdir(), 'strata-tokens-')),
    'tokens.json',
  );

  before(async () => {
    fs.writeFileSync(
      tokensFile,
      JSON.stringify([
        { name: 'viewer', token: 'viewer-token-0123456789', scopes: ['read'] },
        { name: 'ci', token: 'ci-token-0123456789abc', scopes: ['read', 'deploy'] },
      ]),
    );
    // No worker: whatever gets queued stays visible in the queue.
    h = await startHarness({ worker: false, env: { STRATA_TOKENS_FILE: tokensFile } });
  });
  after(async () => {
    await h.close();
    fs.rmSync(path.dirname(tokensFile), { recursive: true, force: true });
  });

  async function expectRefused(
    response: Response,
    status: number,
    message: RegExp,
  ): Promise<ErrorBody> {
    const body = (await response.json()) as ErrorBody;
    assert.equal(response.status, status, JSON.stringify(body));
    assert.equal(body.statusCode, status);
    assert.equal(typeof body.error, 'string');
    assert.match(body.message, message);
    return body;
  }

  async function assertNothingQueued(name?: string): Promise<void> {
    const counts = await h.app.strata.lifecycle.queue.getJobCounts();
    assert.equal(
      Object.values(counts).reduce((a, b) => a + b, 0),
      0,
      `queue holds ${JSON.stringify(counts)}`,
    );
    if (name) assert.equal(await h.app.strata.store.getEnvironment(name), undefined);
  }

  const create = (json: unknown, headers?: Record<string, string>) =>
    h.api('/v1/environments', { method: 'POST', json, headers });

  it('an invalid name', async () => {
    await expectRefused(
      await create({ name: 'Bad_Name', layers: { data: { target: 'local' } } }),
      400,
      /body\.name must be lowercase letters/,
    );
    await expectRefused(
      await create({ name: 'ab', layers: { data: { target: 'local' } } }),
      400,
      /body\.name/,
    );
    await assertNothingQueued('Bad_Name');
  });

  it('an unknown target', async () => {
    const name = uniqueName('t');
    await expectRefused(
      await create({ name, layers: { data: { target: 'azure' } } }),
      400,
      /body\.layers\.data\.target must be one of aws, gcp, hcloud, openstack, cloudflare, local/,
    );
    await assertNothingQueued(name);
  });

  it('an unknown layer, or one the target does not offer', async () => {
    const name = uniqueName('t');
    await expectRefused(
      await create({ name, layers: { cache: { target: 'local' } } }),
      400,
      /body\.layers: unknown field "cache"/,
    );
    await expectRefused(
      await create({ name, layers: { compute: { target: 'local' } } }),
      400,
      /layers\.compute: target "local" has no compute layer \(it offers data, storage\)/,
    );
    await assertNothingQueued(name);
  });

  it('an unknown field', async () => {
    const name = uniqueName('t');
    await expectRefused(
      await create({ name, layers: { data: { target: 'local' } }, colour: 'blue' }),
      400,
      /body: unknown field "colour"/,
    );
    await expectRefused(
      await create({ name, layers: { data: { target: 'local', confg: {} } } }),
      400,
      /body\.layers\.data: unknown field "confg"/,
    );
    await assertNothingQueued(name);
  });

  it('config that fails the layer schema, naming each field', async () => {
    const name = uniqueName('t');
    const body = await expectRefused(
      await create({
        name,
        layers: { data: { target: 'local', config: { database: 'Has-Caps', port: 5 } } },
      }),
      400,
      /layers\.data\.config\.database/,
    );
    assert.match(
      body.message,
      /layers\.data\.config\.port: unknown field \(allowed: database, username\)/,
    );
    await assertNothingQueued(name);
  });

  it('neither blueprint nor layers, or an unknown blueprint', async () => {
    const name = uniqueName('t');
    await expectRefused(
      await create({ name }),
      400,
      /give a "blueprint" or at least one entry in "layers"/,
    );
    await expectRefused(
      await create({ name, blueprint: 'nope' }),
      400,
      /blueprint "nope" does not exist \(known: /,
    );
    await expectRefused(
      await create({ name, layers: { data: { target: 'local' } }, ttl: '5 minutes' }),
      400,
      /body\.ttl must be a duration such as 90s/,
    );
    await assertNothingQueued(name);
  });

  it('a missing, malformed or wrong token', async () => {
    const name = uniqueName('t');
    const json = { name, layers: { data: { target: 'local' } } };
    await expectRefused(await fetch(`${h.url}/v1/environments`), 401, /missing bearer token/);
    await expectRefused(
      await create(json, { authorization: 'Basic abc' }),
      401,
      /must be "Bearer <token>"/,
    );
    await expectRefused(
      await create(json, { authorization: 'Bearer not-a-token' }),
      401,
      /not valid/,
    );
    await assertNothingQueued(name);
  });

  it('a token whose scopes do not allow the call', async () => {
    const name = uniqueName('t');
    const viewer = { authorization: 'Bearer viewer-token-0123456789' };
    await expectRefused(
      await create({ name, layers: { data: { target: 'local' } } }, viewer),
      403,
      /token "viewer" lacks the "deploy" scope/,
    );
    const list = await h.api('/v1/environments', { headers: viewer });
    assert.equal(list.status, 200);
    await assertNothingQueued(name);
  });

  it('a duplicate name: 409, and the first environment is untouched', async () => {
    const name = uniqueName('dup');
    const first = await create(
      { name, layers: { data: { target: 'local' } } },
      { authorization: 'Bearer ci-token-0123456789abc' },
    );
    assert.equal(first.status, 202);
    const created = (await first.json()) as {
      deployment: { trigger: { actor: string } };
      deployHook: string;
    };
    assert.equal(created.deployment.trigger.actor, 'ci');
    assert.match(created.deployHook, /^http:\/\/127\.0\.0\.1:\d+\/v1\/hooks\/[A-Za-z0-9_-]{32}$/);
    await expectRefused(
      await create({ name, layers: { storage: { target: 'local' } } }),
      409,
      new RegExp(`environment "${name}" already exists`),
    );
    const env = (await (await h.api(`/v1/environments/${name}`)).json()) as {
      layers: Record<string, unknown>;
    };
    assert.deepEqual(Object.keys(env.layers), ['data']);
    assert.equal((await h.app.strata.lifecycle.queue.getJobCounts()).waiting, 1);
    await h.app.strata.lifecycle.queue.obliterate({ force: true });
    await h.app.strata.store.deleteEnvironment(name);
  });

  it('an unknown environment or deployment', async () => {
    await expectRefused(
      await h.api('/v1/environments/no-such-env'),
      404,
      /environment "no-such-env" not found/,
    );
    await expectRefused(
      await h.api('/v1/environments/no-such-env', { method: 'DELETE' }),
      404,
      /not found/,
    );
    await expectRefused(
      await h.api('/v1/environments/no-such-env/deployments', {
        method: 'POST',
        json: { operation: 'up' },
      }),
      404,
      /not found/,
    );
    await expectRefused(await h.api('/v1/environments/no-such-env/env'), 404, /not found/);
    const unknownId = '00000000-0000-4000-8000-000000000000';
    await expectRefused(
      await h.api(`/v1/deployments/${unknownId}`),
      404,
      new RegExp(`deployment "${unknownId}" not found`),
    );
    await expectRefused(await h.api(`/v1/deployments/${unknownId}/events`), 404, /not found/);
    await assertNothingQueued();
  });

  it('authenticates before it parses or validates anything', async () => {
    const bad = { name: 'X', layers: { data: { target: 'mars' } }, extra: true };
    await expectRefused(
      await fetch(`${h.url}/v1/environments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json' },
        body: JSON.stringify(bad),
      }),
      401,
      /missing bearer token/,
    );
    await expectRefused(
      await fetch(`${h.url}/v1/environments`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: 'Bearer nope' },
        body: '{"not json',
      }),
      401,
      /not valid/,
    );
    await expectRefused(
      await create(bad, { authorization: 'Bearer viewer-token-0123456789' }),
      403,
      /lacks the "deploy" scope/,
    );
    await expectRefused(await fetch(`${h.url}/v1/deployments/not-an-id`), 401, /bearer/);
    await assertNothingQueued();
  });

  it('refuses a TTL too long for any clock (found by Schemathesis: it was a 500)', async () => {
    const name = uniqueName('ttl');
    assert.equal((await create({ name, layers: { data: { target: 'local' } } })).status, 202);
    await h.app.strata.lifecycle.queue.obliterate({ force: true });
    await expectRefused(
      await h.api(`/v1/environments/${name}`, { method: 'PATCH', json: { ttl: '1000000000d' } }),
      400,
      /body\.ttl/,
    );
    await expectRefused(
      await create({
        name: uniqueName('ttl'),
        ttl: '99999999h',
        layers: { data: { target: 'local' } },
      }),
      400,
      /body\.ttl/,
    );
  });

  it('refuses malformed route parameters before they reach Redis', async () => {
    // Without the check this read the environment "x"'s lock key as if it were an environment.
    await expectRefused(await h.api('/v1/environments/x:lock'), 400, /params\.name must be/);
    await expectRefused(
      await h.api('/v1/environments/UPPER/deployments', {
        method: 'POST',
        json: { operation: 'up' },
      }),
      400,
      /params\.name/,
    );
    await expectRefused(
      await h.api('/v1/deployments/no-such-id'),
      400,
      /params\.id must be a deployment id/,
    );
    await expectRefused(
      await h.api('/v1/deployments/x/cancel', { method: 'POST' }),
      400,
      /params\.id/,
    );
  });

  it('keeps the global drift schedule whatever an environment is called', async () => {
    const { maintenance } = h.app.strata;
    await maintenance.scheduleSweep('0 4 * * *');
    const sweepBefore = (await maintenance.queue.getJobSchedulers()).map((s) => s.key).sort();
    const name = 'sweep';
    const response = await create({
      name,
      layers: { storage: { target: 'local' } },
      drift: { schedule: '30 1 * * *' },
    });
    assert.equal(response.status, 202);
    await h.app.strata.lifecycle.queue.obliterate({ force: true });
    const schedulers = await maintenance.queue.getJobSchedulers();
    const patterns = Object.fromEntries(schedulers.map((s) => [s.key, s.pattern]));
    for (const key of sweepBefore) assert.equal(patterns[key], '0 4 * * *', key);
    assert.equal(schedulers.length, sweepBefore.length + 1);
    assert.ok(schedulers.some((s) => s.pattern === '30 1 * * *'));
  });

  it('a deployment request with a bad operation or a layer the environment lacks', async () => {
    const name = uniqueName('ops');
    assert.equal((await create({ name, layers: { data: { target: 'local' } } })).status, 202);
    await h.app.strata.lifecycle.queue.obliterate({ force: true });
    const post = (json: unknown) =>
      h.api(`/v1/environments/${name}/deployments`, { method: 'POST', json });
    await expectRefused(await post({ operation: 'explode' }), 400, /body\.operation/);
    await expectRefused(
      await post({ operation: 'up', layers: ['storage'] }),
      400,
      /has no storage layer \(it has data\)/,
    );
    await expectRefused(await post({ operation: 'up', layers: [] }), 400, /body\.layers/);
    await assertNothingQueued();
    await h.app.strata.store.deleteEnvironment(name);
  });

  it('liveness needs no token; readiness reports Redis and the CLI', async () => {
    assert.deepEqual(await (await fetch(`${h.url}/healthz`)).json(), { status: 'ok' });
    const ready = await fetch(`${h.url}/readyz`);
    assert.equal(ready.status, 200);
    assert.match(((await ready.json()) as { pulumi: string }).pulumi, /^v3\.\d+\.\d+$/);
  });

  it('lists the catalogue with each layer config schema and outputs', async () => {
    const body = (await (await h.api('/v1/targets')).json()) as {
      targets: {
        name: string;
        layers: {
          layer: string;
          config: { properties: object };
          outputs: { env: string; secret: boolean }[];
        }[];
      }[];
    };
    const local = body.targets.find((t) => t.name === 'local');
    assert.ok(local);
    const data = local.layers.find((l) => l.layer === 'data');
    assert.ok(data);
    assert.ok('database' in data.config.properties);
    assert.deepEqual(
      data.outputs.filter((o) => o.secret).map((o) => o.env),
      ['DB_PASSWORD', 'DATABASE_URL'],
    );
    assert.deepEqual(
      body.targets.map((t) => t.name),
      ['aws', 'gcp', 'hcloud', 'openstack', 'cloudflare', 'local'],
    );
  });
});

describe('readiness when Redis is away', () => {
  it('answers 503 with the reason', async () => {
    const h = await startHarness({
      worker: false,
      env: { REDIS_URL: 'redis://127.0.0.1:1' },
    }).catch((e: unknown) => e);
    // Building the app must not need Redis: the API starts and reports itself not ready.
    assert.ok(!(h instanceof Error), String(h));
    const harness = h as Harness;
    try {
      const response = await fetch(`${harness.url}/readyz`);
      assert.equal(response.status, 503);
      assert.match(((await response.json()) as ErrorBody).message, /redis is not reachable/);
    } finally {
      await harness.app.close();
    }
  });
});
