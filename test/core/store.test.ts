import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import type { EnvironmentRecord } from '../../core/domain';
import { Store } from '../../core/store';
import { uniqueName } from '../helpers/harness';
import { decrypt } from '../../core/crypto';
import { redisKeys } from '../../core/redis-keys';

describe('store', () => {
  const keys = redisKeys(uniqueName('store-test'));
  let redis: Redis;
  let store: Store;
  before(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    store = new Store(redis, keys, 'test-bundle-key');
  });
  after(async () => {
    store.close();
    await redis.quit();
  });

  function record(name: string): EnvironmentRecord {
    const now = new Date().toISOString();
    return {
      name,
      stage: 'dev',
      layers: { data: { target: 'local', config: {} } },
      config: { counter: 0 },
      requireApproval: false,
      status: 'ready',
      layerStates: {},
      createdAt: now,
      updatedAt: now,
    };
  }

  it('loses no update when one process and another change a record at the same time', async () => {
    const name = uniqueName('store');
    const env = record(name);
    await store.createEnvironment(env);
    // A second process: its own connection and store.
    const otherRedis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const other = new Store(otherRedis, keys, 'test-bundle-key');
    try {
      const bump = (s: Store) =>
        s.updateEnvironment(name, (e) => ({
          ...e,
          config: { counter: Number(e.config.counter) + 1 },
        }));
      // Other commands on the shared connection, as a busy API process would send.
      const noise = Array.from({ length: 50 }, () =>
        redis.multi().get(keys.environment(name)).exec(),
      );
      await Promise.all([
        ...Array.from({ length: 50 }, () => bump(store)),
        ...Array.from({ length: 50 }, () => bump(other)),
        ...noise,
      ]);
      assert.equal((await store.requireEnvironment(name)).config.counter, 100);
    } finally {
      other.close();
      await otherRedis.quit();
      await store.deleteEnvironment(name);
    }
  });

  it('keeps bundles encrypted at rest', async () => {
    const name = uniqueName('bundle');
    await store.saveBundle({
      environment: name,
      generatedAt: new Date().toISOString(),
      entries: [{ key: 'DB_PASSWORD', value: 'hunter2-very-secret', layer: 'data', secret: true }],
      outputs: {},
    });
    const raw = await redis.get(keys.bundle(name));
    assert.ok(raw && !raw.includes('hunter2'));
    assert.match(decrypt('test-bundle-key', raw), /hunter2-very-secret/);
    assert.throws(() => decrypt('another-key', raw));
    assert.equal((await store.getBundle(name))?.entries[0]?.value, 'hunter2-very-secret');
    await store.deleteBundle(name);
  });

  it("serves the .env as Redis holds it at each read: a new bundle, another process's, none", async () => {
    const name = uniqueName('bundle-read');
    const bundle = (password: string) => ({
      environment: name,
      generatedAt: new Date().toISOString(),
      entries: [{ key: 'DB_PASSWORD', value: password, layer: 'data' as const, secret: true }],
      outputs: {},
    });
    const otherRedis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    const other = new Store(otherRedis, keys, 'test-bundle-key');
    try {
      await assert.rejects(store.requireEnvironmentAndBundle(name), /environment ".*" not found/);
      await store.createEnvironment(record(name));
      assert.equal((await store.requireEnvironmentAndBundle(name)).bundle, undefined);

      await store.saveBundle(bundle('first-password'));
      const first = await store.requireEnvironmentAndBundle(name);
      assert.equal(first.env.name, name);
      assert.equal(first.bundle?.entries[0]?.value, 'first-password');
      // Kept for the next download, and nobody can change the kept one.
      assert.equal((await store.requireEnvironmentAndBundle(name)).bundle, first.bundle);
      assert.throws(() => {
        (first.bundle?.entries[0] as { value: string }).value = 'changed';
      }, TypeError);

      // Another API process or the worker writes a new bundle: this one reads it at once.
      await other.saveBundle(bundle('second-password'));
      const second = await store.requireEnvironmentAndBundle(name);
      assert.equal(second.bundle?.entries[0]?.value, 'second-password');

      await other.deleteBundle(name);
      assert.equal((await store.requireEnvironmentAndBundle(name)).bundle, undefined);
    } finally {
      other.close();
      await otherRedis.quit();
      await store.deleteBundle(name);
      await store.deleteEnvironment(name);
    }
  });
});
