import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { EnvironmentRecord } from '../../core/domain';
import { startHarness, uniqueName, type Harness, environmentRecord } from '../helpers/harness';

interface ErrorBody {
  message: string;
}

describe('paginated lists', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  async function environment(createdAt: number): Promise<EnvironmentRecord> {
    const at = new Date(createdAt).toISOString();
    const env: EnvironmentRecord = environmentRecord({ name: uniqueName('page'), createdAt: at });
    await h.app.strata.store.createEnvironment(env);
    return env;
  }

  async function deployment(env: EnvironmentRecord, createdAt: number): Promise<string> {
    const d = {
      ...newDeployment(env, 'preview', { kind: 'api' }),
      createdAt: new Date(createdAt).toISOString(),
    };
    await h.app.strata.lifecycle.enqueue(d);
    return d.id;
  }

  /** Walks every page of `path`, calling `between` after each one. */
  async function walk(
    path: string,
    field: 'environments' | 'deployments',
    limit: number,
    between: () => Promise<void>,
  ): Promise<string[]> {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const query: string = `?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`;
      const response = await h.api(`${path}${query}`);
      assert.equal(response.status, 200, await response.clone().text());
      const body = (await response.json()) as Record<string, unknown> & {
        nextCursor: string | null;
      };
      const items = body[field] as { id?: string; name?: string }[];
      assert.ok(items.length <= limit);
      seen.push(...items.map((item) => item.id ?? item.name ?? ''));
      cursor = body.nextCursor;
      pages++;
      await between();
    } while (cursor !== null && pages < 100);
    assert.equal(cursor, null);
    return seen;
  }

  it("walks an environment's deployments with no duplicate and no gap while more arrive", async () => {
    const env = await environment(Date.now());
    const base = Date.now() - 3_600_000;
    const existing: string[] = [];
    // Ten share each millisecond, so positions tie on score as well.
    for (let i = 0; i < 60; i++) existing.push(await deployment(env, base + Math.floor(i / 10)));
    let added = 0;
    const seen = await walk(
      `/v1/environments/${env.name}/deployments`,
      'deployments',
      7,
      async () => {
        await deployment(env, Date.now() + added++);
      },
    );
    assert.equal(new Set(seen).size, seen.length, 'a deployment was listed twice');
    assert.deepEqual([...seen].sort(), [...existing].sort());
    // Newest first: the history's order, page after page.
    const records = await h.app.strata.store.listDeployments(env.name);
    const order = records.map((d) => d.id).filter((id) => existing.includes(id));
    assert.deepEqual(seen, order);
  });

  it('walks the environments newest first while more are created', async () => {
    const base = Date.now() - 3_600_000;
    const existing: string[] = [];
    for (let i = 0; i < 12; i++) existing.push((await environment(base + Math.floor(i / 3))).name);
    // Other tests' environments are listed too: exactly the ones there before the walk.
    const before = (await h.app.strata.store.listEnvironments()).map((env) => env.name);
    assert.ok(existing.every((name) => before.includes(name)));
    const seen = await walk('/v1/environments', 'environments', 5, async () => {
      await environment(Date.now());
    });
    assert.equal(new Set(seen).size, seen.length, 'an environment was listed twice');
    assert.deepEqual([...seen].sort(), [...before].sort());
  });

  it('answers the first page with nextCursor null when everything fits', async () => {
    const env = await environment(Date.now());
    await deployment(env, Date.now());
    const body = (await (await h.api(`/v1/environments/${env.name}/deployments`)).json()) as {
      deployments: unknown[];
      nextCursor: string | null;
    };
    assert.equal(body.deployments.length, 1);
    assert.equal(body.nextCursor, null);
  });

  it('refuses a malformed cursor or limit with 400 saying so', async () => {
    for (const cursor of ['not*a*cursor', 'abc', Buffer.from('["x",1]').toString('base64url')]) {
      const response = await h.api(`/v1/environments?cursor=${cursor}`);
      assert.equal(response.status, 400, cursor);
      assert.match(
        ((await response.json()) as ErrorBody).message,
        /cursor is not a cursor this API gave: pass the nextCursor of the previous page/,
      );
    }
    for (const limit of ['0', '201', 'ten']) {
      const response = await h.api(`/v1/environments?limit=${limit}`);
      assert.equal(response.status, 400, limit);
      assert.match(
        ((await response.json()) as ErrorBody).message,
        /querystring\.limit must be a whole number from 1 to 200/,
      );
    }
  });
});

describe('drift schedule minimum', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('refuses a schedule more frequent than STRATA_DRIFT_MIN_INTERVAL at POST and PATCH', async () => {
    const name = uniqueName('drift');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { data: { target: 'local' } }, drift: { schedule: '* * * * *' } },
    });
    assert.equal(created.status, 400);
    assert.match(
      ((await created.json()) as ErrorBody).message,
      /body\.drift\.schedule: "\* \* \* \* \*" runs 1m apart, more often than the minimum of 5m \(STRATA_DRIFT_MIN_INTERVAL\)/,
    );
    const accepted = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { data: { target: 'local' } }, drift: { schedule: '*/10 * * * *' } },
    });
    assert.equal(accepted.status, 202, await accepted.clone().text());
    // An irregular pattern is judged by its shortest gap.
    const patched = await h.api(`/v1/environments/${name}`, {
      method: 'PATCH',
      json: { drift: { schedule: '0,2 4 * * *' } },
    });
    assert.equal(patched.status, 400);
    assert.match(((await patched.json()) as ErrorBody).message, /runs 2m apart.*minimum of 5m/);
  });
});
