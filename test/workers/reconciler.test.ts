import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import type { DeploymentRecord } from '../../core/domain';
import { MAX_ATTEMPTS, newDeployment } from '../../core/deployment-lifecycle';
import { expiryJobId } from '../../core/maintenance';
import { startWorker, type RunningWorker } from '../../workers/worker';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';
import { until } from '../helpers/servers';

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

  /**
   * What a dead worker leaves: a `running` deployment of `operation` on an environment that was
   * created, begun by an attempt whose worker is gone (the lease is dropped by `lapse`, once the
   * test has shaped what the attempt left).
   */
  async function orphaned(prefix: string, operation: 'refresh' | 'up') {
    assert.ok(worker);
    const name = uniqueName(prefix);
    const first = await createEnvironment(h, { name, layers: { storage: { target: 'local' } } });
    assert.equal(first.status, 'succeeded');
    const { lifecycle, store, redis, keys } = h.app.strata;
    // The worker dies; a live one would take the job below before this test could begin it.
    await worker.close();
    worker = undefined;
    const env = await store.requireEnvironment(name);
    const d = await lifecycle.enqueue(newDeployment(env, operation, { kind: 'api' }));
    await lifecycle.queue.remove(d.id);
    const begun = await lifecycle.begin(d.id, d.id);
    if (begun.kind !== 'started') throw new Error(`the attempt did not start: ${begun.kind}`);
    return {
      name,
      id: d.id,
      attempt: begun.attempt,
      /** The lease lapses and a new worker starts. */
      lapse: async () => {
        await redis.del(keys.environmentLease(name));
        worker = await startWorker({
          settings: h.settings,
          logger: pino({ level: 'silent' }),
          queueName: h.queueName,
        });
      },
    };
  }

  it('resumes a running deployment whose worker died', async () => {
    const { id, lapse } = await orphaned('orphan', 'refresh');
    await lapse();
    const ended = await waitForDeployment(h, id);
    assert.equal(ended.status, 'succeeded');
    assert.equal(ended.attempts, 2);
  });

  it('gives up on an up whose attempts all died, and the environment then says it failed', async () => {
    const { store } = h.app.strata;
    const { name, id, attempt, lapse } = await orphaned('given-up', 'up');
    // What the last allowed attempt leaves when its worker dies mid-`up`: the environment
    // provisioning, the layer running.
    await attempt.update((record) => ({
      ...record,
      attempts: MAX_ATTEMPTS,
      layerRuns: { storage: { status: 'running', startedAt: new Date().toISOString() } },
    }));
    await store.updateEnvironment(name, (e) => ({ ...e, status: 'provisioning' }));
    await lapse();

    const ended = (await waitForDeployment(h, id)) as unknown as DeploymentRecord;
    assert.equal(ended.status, 'failed');
    assert.match(ended.error ?? '', /gave up after 5 attempts/);
    assert.equal(ended.layerRuns.storage?.status, 'failed');
    // Settled just after the deployment ends, in a write of its own.
    await until(
      'the environment to settle',
      async () => (await store.requireEnvironment(name)).status !== 'provisioning',
    );
    const settled = await store.requireEnvironment(name);
    assert.equal(settled.status, 'failed');
    assert.equal(
      settled.layerStates.storage?.status,
      'failed',
      'the interrupted up may have changed it',
    );
    assert.equal(settled.layerStates.storage?.lastDeployment, id);

    // The next up repairs it, as after any failure.
    const repaired = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    const { id: next } = (await repaired.json()) as { id: string };
    assert.equal((await waitForDeployment(h, next)).status, 'succeeded');
    assert.equal((await store.requireEnvironment(name)).status, 'ready');
  });
});
