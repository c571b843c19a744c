/**
 * The walking skeleton as a user meets it: the API and the worker as separate processes (what
 * `npm start` runs), a local environment provisioned through the real pulumi CLI, its events
 * read live, its .env used to connect, a no-op up, and a destroy that leaves nothing behind.
 */
import assert from 'node:assert/strict';
import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import dotenv from 'dotenv';
import { Client } from 'pg';
import { readEvents, uniqueName } from '../helpers/harness';
import { freePort } from '../helpers/servers';
import { adminQuery } from '../helpers/postgres';

// Compiled to dist/test/e2e: the project root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');
const token = 'e2e-admin-token-0123456789abcdef';

describe('a local environment, end to end', () => {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-e2e-'));
  const processes: ChildProcess[] = [];
  const logs: string[] = [];
  let url = '';
  const api = (pathname: string, init: RequestInit & { json?: unknown } = {}) =>
    fetch(`${url}${pathname}`, {
      ...init,
      headers: {
        authorization: `Bearer ${token}`,
        ...(init.json ? { 'content-type': 'application/json' } : {}),
      },
      body: init.json ? JSON.stringify(init.json) : init.body,
    });

  before(async () => {
    const port = await freePort();
    url = `http://127.0.0.1:${port}`;
    const env = {
      ...process.env,
      STRATA_DATA_DIR: dataDir,
      STRATA_API_TOKEN: token,
      // An installation of its own on the shared Redis.
      STRATA_QUEUE: uniqueName('e2e-queue'),
      PORT: String(port),
      LOG_LEVEL: 'debug',
    };
    for (const entry of ['workers/index.js', 'server/server.js']) {
      const child = spawn(process.execPath, [path.join(root, 'dist', entry)], {
        env,
        stdio: ['ignore', 'pipe', 'pipe'],
      });
      child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
      child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
      processes.push(child);
    }
    // Up to a minute: a loaded machine starts two Node processes and the CLI slowly.
    for (let i = 0; i < 300; i++) {
      const ready = await fetch(`${url}/readyz`).catch(() => undefined);
      if (ready?.status === 200) return;
      await new Promise((r) => setTimeout(r, 200));
    }
    throw new Error(`the API did not become ready:\n${logs.join('')}`);
  });

  after(async () => {
    for (const child of processes) child.kill('SIGTERM');
    await Promise.all(
      processes.map((c) => new Promise((r) => (c.exitCode !== null ? r(null) : c.once('exit', r)))),
    );
    fs.rmSync(dataDir, { recursive: true, force: true });
  });

  it('provisions, streams, connects, re-runs as a no-op, destroys', async () => {
    const name = uniqueName('e2e');
    const started = Date.now();
    const created = await api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { data: { target: 'local' }, storage: { target: 'local' } } },
    });
    assert.equal(created.status, 202);
    const { deployment } = (await created.json()) as { deployment: { id: string } };

    const stream = await readEvents(await api(`/v1/deployments/${deployment.id}/events`));
    const upMs = Date.now() - started;
    assert.equal(stream.at(-1)?.event, 'end');
    assert.deepEqual(stream.at(-1)?.data, { status: 'succeeded' });
    const engine = stream.filter((e) => e.event === 'engine');
    assert.ok(engine.length > 10, 'engine events were streamed');
    assert.deepEqual(
      new Set(engine.map((e) => (e.data as { layer: string }).layer)),
      new Set(['data', 'storage']),
    );
    assert.deepEqual(
      stream.map((e) => e.id),
      stream.map((_, i) => i + 1),
      'ids are a gap-free sequence',
    );

    const env = (await (await api(`/v1/environments/${name}`)).json()) as {
      status: string;
      layers: Record<string, { status: string; outputs: Record<string, unknown> }>;
    };
    assert.equal(env.status, 'ready');
    assert.equal(env.layers.data?.status, 'ready');
    assert.equal(env.layers.data?.outputs.password, '[secret]');
    assert.equal(env.layers.storage?.outputs.secretKey, '[secret]');

    const download = await api(`/v1/environments/${name}/env`);
    assert.equal(download.status, 200);
    assert.match(download.headers.get('content-type') ?? '', /^text\/plain/);
    assert.equal(download.headers.get('content-disposition'), `attachment; filename="${name}.env"`);
    const text = await download.text();
    assert.match(
      text,
      new RegExp(
        `^# Strata bundle for environment ${name}\\n# layers: data, storage\\n# generated: `,
      ),
    );
    const bundle = dotenv.parse(text);
    assert.deepEqual(Object.keys(bundle).sort(), [
      'DATABASE_URL',
      'DB_HOST',
      'DB_NAME',
      'DB_PASSWORD',
      'DB_PORT',
      'DB_USER',
      'STORAGE_ACCESS_KEY',
      'STORAGE_BUCKET',
      'STORAGE_ENDPOINT',
      'STORAGE_SECRET_KEY',
    ]);

    // The bundle really connects: as the generated role, with the generated password.
    const client = new Client({
      host: bundle.DB_HOST,
      port: Number(bundle.DB_PORT),
      database: bundle.DB_NAME,
      user: bundle.DB_USER,
      password: bundle.DB_PASSWORD,
    });
    await client.connect();
    const who = await client.query('SELECT current_user AS u, current_database() AS d');
    await client.query('CREATE TABLE smoke (id int)');
    await client.end();
    assert.deepEqual(who.rows[0], { u: bundle.DB_USER, d: bundle.DB_NAME });
    const viaUrl = new Client({ connectionString: bundle.DATABASE_URL });
    await viaUrl.connect();
    await viaUrl.end();

    const bucketDir = path.join(new URL(bundle.STORAGE_ENDPOINT!).pathname, bundle.STORAGE_BUCKET!);
    fs.writeFileSync(path.join(bucketDir, 'object.txt'), 'hello');
    const keys = JSON.parse(fs.readFileSync(`${bucketDir}.credentials.json`, 'utf8')) as Record<
      string,
      string
    >;
    assert.deepEqual(keys, {
      accessKey: bundle.STORAGE_ACCESS_KEY,
      secretKey: bundle.STORAGE_SECRET_KEY,
    });

    const json = (await (
      await api(`/v1/environments/${name}/env?format=json&layer=data`)
    ).json()) as Record<string, string>;
    assert.deepEqual(Object.keys(json).sort(), [
      'DATABASE_URL',
      'DB_HOST',
      'DB_NAME',
      'DB_PASSWORD',
      'DB_PORT',
      'DB_USER',
    ]);

    // Secrets stay out of events, logs and every response but the download.
    const secrets = [bundle.DB_PASSWORD!, bundle.STORAGE_SECRET_KEY!, bundle.STORAGE_ACCESS_KEY!];
    const exposed = [JSON.stringify(stream), JSON.stringify(env), logs.join('')];
    for (const secret of secrets)
      for (const text of exposed) assert.ok(!text.includes(secret), 'a secret leaked');

    // A second up changes nothing.
    const again = await api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    assert.equal(again.status, 202);
    const againId = ((await again.json()) as { id: string }).id;
    await readEvents(await api(`/v1/deployments/${againId}/events`));
    const noop = (await (await api(`/v1/deployments/${againId}`)).json()) as {
      status: string;
      layerRuns: Record<string, { changes: Record<string, number> }>;
    };
    assert.equal(noop.status, 'succeeded');
    for (const run of Object.values(noop.layerRuns))
      assert.deepEqual(Object.keys(run.changes), ['same']);
    assert.equal(
      dotenv.parse(await (await api(`/v1/environments/${name}/env`)).text()).DB_PASSWORD,
      bundle.DB_PASSWORD,
    );

    const history = (await (await api(`/v1/environments/${name}/deployments`)).json()) as {
      deployments: { id: string }[];
    };
    assert.deepEqual(
      history.deployments.map((d) => d.id),
      [againId, deployment.id],
    );

    const destroyStarted = Date.now();
    const destroy = await api(`/v1/environments/${name}`, { method: 'DELETE' });
    assert.equal(destroy.status, 202);
    const destroyId = ((await destroy.json()) as { id: string }).id;
    const destroyEvents = await readEvents(await api(`/v1/deployments/${destroyId}/events`));
    const destroyMs = Date.now() - destroyStarted;
    assert.deepEqual(destroyEvents.at(-1)?.data, { status: 'succeeded' });
    const layerOrder = destroyEvents
      .filter((e) => e.event === 'layer' && (e.data as { status: string }).status === 'running')
      .map((e) => (e.data as { layer: string }).layer);
    assert.deepEqual(layerOrder.sort(), ['data', 'storage']);

    assert.equal(
      await adminQuery('SELECT 1 FROM pg_roles WHERE rolname = $1', [bundle.DB_USER]),
      0,
    );
    assert.equal(
      await adminQuery('SELECT 1 FROM pg_database WHERE datname = $1', [bundle.DB_NAME]),
      0,
    );
    assert.equal(fs.existsSync(bucketDir), false);
    assert.equal((await api(`/v1/environments/${name}`)).status, 404);
    assert.equal((await api(`/v1/environments/${name}/env`)).status, 404);
    console.log(`# local environment: up ${upMs} ms, destroy ${destroyMs} ms`);
  });
});
