import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { DeploymentLifecycle, newDeployment } from '../../core/deployment-lifecycle';
import type { EnvironmentRecord } from '../../core/domain';
import type { OutboxEntry } from '../../core/notification-events';
import { redisKeys } from '../../core/redis-keys';
import { uniqueName, environmentRecord } from '../helpers/harness';

/** What each transition leaves in the outbox, written in the transition's own step. */
describe('notification outbox', () => {
  const queueName = uniqueName('outbox-test');
  const keys = redisKeys(queueName);
  let redis: Redis;
  let lifecycle: DeploymentLifecycle;
  before(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    lifecycle = new DeploymentLifecycle(redis, keys, queueName);
  });
  after(async () => {
    await redis.del(keys.notificationOutbox());
    await lifecycle.queue.obliterate({ force: true });
    await lifecycle.close();
    await redis.quit();
  });

  const environment = (): EnvironmentRecord => {
    const now = new Date().toISOString();
    return environmentRecord({
      name: uniqueName('env'),
      layers: { storage: { target: 'local', config: {} } },
      reviewTemplate: 'previews',
      createdAt: now,
    });
  };

  const outbox = async (deployment: string): Promise<string[]> => {
    const entries = await redis.xrange(keys.notificationOutbox(), '-', '+');
    return entries
      .map(([, fields]) => JSON.parse(fields[1] ?? '{}') as OutboxEntry)
      .filter((e) => e.deployment.id === deployment)
      .map((e) => `${e.event}${e.template ? ` (${e.template})` : ''}`);
  };

  it('announces start, approval, drift, end and expiry, and nothing for superseded', async () => {
    const env = environment();
    const drift = await lifecycle.enqueue(newDeployment(env, 'drift', { kind: 'drift' }));
    const begun = await lifecycle.begin(drift.id, drift.id);
    assert.equal(begun.kind, 'started');
    if (begun.kind !== 'started') return;
    await begun.attempt.finish('succeeded', { drift: true });
    assert.deepEqual(await outbox(drift.id), [
      'deployment.started (previews)',
      'deployment.succeeded (previews)',
      'drift.found (previews)',
    ]);

    const held = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const heldTurn = await lifecycle.begin(held.id, held.id);
    if (heldTurn.kind !== 'started') throw new Error('the up did not start');
    await heldTurn.attempt.holdForApproval({
      requestedAt: new Date().toISOString(),
      plannedSteps: {},
    });
    await lifecycle.reject(held.id, 'reviewer');
    assert.deepEqual(await outbox(held.id), [
      'deployment.started (previews)',
      'deployment.pending_approval (previews)',
      'deployment.cancelled (previews)',
    ]);

    const older = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    assert.deepEqual(await outbox(older.id), []);

    const expiry = await lifecycle.enqueue(
      newDeployment(env, 'destroy', { kind: 'ttl' }, { forget: true }),
    );
    assert.deepEqual(await outbox(expiry.id), ['environment.expired (previews)']);
  });
});
