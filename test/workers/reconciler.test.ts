import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { newDeployment } from '../../core/deployment-lifecycle';
import { expiryJobId } from '../../core/maintenance';
import { startWorker, type RunningWorker } from '../../workers/worker';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';

describe('the reconciler', () => {
  let h: Harness;
  let worker: RunningWorker | undefined;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await worker?.close();
    await h.close();
  });

  it('queues again a deployment whose job was lost, removes ended ones from the line, and schedules missing expiries', async () => {
    const { store, lifecycle, redis, keys, maintenance } = h.app.strata;
    const name = uniqueName('repair');
    const created = await h.api('/v1/environments', {
      method: 'POST',
      json: { name, layers: { storage: { target: 'local' } }, ttl: '1h' },
    });
    const { deployment } = (await created.json()) as { deployment: { id: string } };
    // Lost: a job that vanished before any worker took it.
    await lifecycle.queue.remove(deployment.id);
    // Stale: an ended deployment first in the line would hold everything behind it.
    const env = await store.requireEnvironment(name);
    const ghost = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    await lifecycle.endWaiting(ghost.id, 'cancelled');
    await redis.zadd(keys.environmentQueue(name), 0, ghost.id);
    // Missing: the expiry job of an environment with a TTL.
    const expiry = await maintenance.queue.getJob(expiryJobId(name, env.expiresAt!));
    assert.ok(expiry, 'creating the environment scheduled its expiry');
    await expiry.remove();

    worker = await startWorker({
      settings: h.settings,
      logger: pino({ level: 'silent' }),
      queueName: h.queueName,
    });
    const ended = await waitForDeployment(h, deployment.id);
    assert.equal(ended.status, 'succeeded');
    assert.equal(await redis.zscore(keys.environmentQueue(name), ghost.id), null);
    assert.ok(await maintenance.queue.getJob(expiryJobId(name, env.expiresAt!)));
  });

  it('resumes a running deployment whose worker died', async () => {
    assert.ok(worker);
    const name = uniqueName('orphan');
    const first = await createEnvironment(h, { name, layers: { storage: { target: 'local' } } });
    assert.equal(first.status, 'succeeded');
    const { lifecycle, store, redis, keys } = h.app.strata;
    // The worker dies; a live one would take the job below before this test could begin it.
    await worker.close();
    worker = undefined;
    // What a dead worker leaves: a running deployment whose lease has lapsed.
    const env = await store.requireEnvironment(name);
    const d = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    await lifecycle.queue.remove(d.id);
    const begun = await lifecycle.begin(d.id, d.id);
    assert.equal(begun.kind, 'started');
    await redis.del(keys.environmentLease(name));
    worker = await startWorker({
      settings: h.settings,
      logger: pino({ level: 'silent' }),
      queueName: h.queueName,
    });
    const ended = await waitForDeployment(h, d.id);
    assert.equal(ended.status, 'succeeded');
    assert.equal(ended.attempts, 2);
  });
});
