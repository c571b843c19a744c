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
});
