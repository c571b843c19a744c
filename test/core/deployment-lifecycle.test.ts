import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { DelayedError, Worker } from 'bullmq';
import { Redis } from 'ioredis';
import { DeploymentLifecycle, newDeployment } from '../../core/deployment-lifecycle';
import type { DeploymentRecord, EnvironmentRecord } from '../../core/domain';
import { FencedError } from '../../core/errors';
import { EventLog } from '../../core/event-log';
import { redisKeys } from '../../core/redis-keys';
import { uniqueName, environmentRecord } from '../helpers/harness';

describe('deployment lifecycle', () => {
  const queueName = uniqueName('lifecycle-test');
  const keys = redisKeys(queueName);
  let redis: Redis;
  let lifecycle: DeploymentLifecycle;
  let events: EventLog;
  before(() => {
    redis = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379');
    lifecycle = new DeploymentLifecycle(redis, keys, queueName);
    events = new EventLog(redis, keys);
  });
  after(async () => {
    await lifecycle.queue.obliterate({ force: true });
    await lifecycle.close();
    await redis.quit();
  });

  const environment = (): EnvironmentRecord => {
    const now = new Date().toISOString();
    return environmentRecord({
      name: uniqueName('env'),
      layers: { storage: { target: 'local', config: {} } },
      status: 'provisioning',
      createdAt: now,
    });
  };

  /** What must hold of every ended deployment, whichever way it ended. */
  async function assertEndedCleanly(d: DeploymentRecord): Promise<void> {
    const [inLine, current, lease, unfinished, stream] = await Promise.all([
      redis.zscore(keys.environmentQueue(d.environment), d.id),
      redis.get(keys.environmentCurrent(d.environment)),
      redis.get(keys.environmentLease(d.environment)),
      redis.sismember(keys.unfinished(), d.id),
      events.read(d.id, 0, 0),
    ]);
    assert.equal(inLine, null, 'still in its line');
    assert.notEqual(current, d.id, 'still holds its environment');
    assert.equal(lease, null, 'its lease is still there');
    assert.equal(unfinished, 0, 'still counted as unfinished');
    assert.equal(stream.at(-1)?.kind, 'end', 'its stream has not ended');
    assert.ok((await redis.ttl(keys.events(d.id))) > 0, 'its stream never expires');
  }

  it('ends a waiting, a finished and an orphaned deployment with line, slot and stream in step', async () => {
    const env = environment();
    const waiting = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    const cancelled = await lifecycle.endWaiting(waiting.id, 'cancelled');
    assert.equal(cancelled?.status, 'cancelled');
    await assertEndedCleanly(cancelled!);

    const run = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const begun = await lifecycle.begin(run.id, run.id);
    assert.equal(begun.kind, 'started');
    if (begun.kind !== 'started') return;
    assert.equal(await redis.get(keys.environmentCurrent(env.name)), run.id);
    const finished = await begun.attempt.finish('succeeded');
    await assertEndedCleanly(finished);

    const orphan = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const started = await lifecycle.begin(orphan.id, orphan.id);
    assert.equal(started.kind, 'started');
    // Its worker dies: the lease lapses.
    await redis.del(keys.environmentLease(env.name));
    const ended = await lifecycle.endOrphan(orphan.id, 'failed', 'worker died');
    assert.equal(ended?.status, 'failed');
    assert.equal(ended?.layerRuns.storage?.status, 'skipped');
    await assertEndedCleanly(ended!);
  });

  it('forgets a destroyed environment in the step that ends its destroy, and only if it succeeded', async () => {
    const env = environment();
    await redis
      .multi()
      .set(keys.environment(env.name), JSON.stringify(env))
      .zadd(keys.environments(), 1, env.name)
      .exec();
    const failing = await lifecycle.enqueue(
      newDeployment(env, 'destroy', { kind: 'api' }, { forget: true }),
    );
    const first = await lifecycle.begin(failing.id, failing.id);
    assert.equal(first.kind, 'started');
    if (first.kind !== 'started') return;
    await first.attempt.finish('failed', { error: 'the engine failed' }, { forget: true });
    assert.ok(await redis.exists(keys.environment(env.name)), 'a failed destroy forgot it');

    const destroy = await lifecycle.enqueue(
      newDeployment(env, 'destroy', { kind: 'api' }, { forget: true }),
    );
    const begun = await lifecycle.begin(destroy.id, destroy.id);
    assert.equal(begun.kind, 'started');
    if (begun.kind !== 'started') return;
    const ended = await begun.attempt.finish('succeeded', {}, { forget: true });
    // Whoever sees the destroy succeeded finds the environment gone: no later step is needed.
    assert.equal(ended.status, 'succeeded');
    assert.equal(await redis.exists(keys.environment(env.name)), 0);
    assert.equal(await redis.zscore(keys.environments(), env.name), null);
    await assertEndedCleanly(ended);
  });

  it('refuses every write of an attempt whose lease another attempt took over', async () => {
    const env = environment();
    const d = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const first = await lifecycle.begin(d.id, d.id);
    assert.equal(first.kind, 'started');
    if (first.kind !== 'started') return;
    // A long stall: the lease lapses and a second attempt resumes the deployment.
    await redis.del(keys.environmentLease(env.name));
    const requeued = await lifecycle.requeue(d.id, d.id);
    assert.ok(requeued?.job);
    const second = await lifecycle.begin(d.id, requeued.job);
    assert.equal(second.kind, 'started');
    if (second.kind !== 'started') return;
    assert.equal(second.attempt.number, 2);

    assert.equal(await first.attempt.renew(), false);
    await assert.rejects(first.attempt.finish('failed'), FencedError);
    await assert.rejects(
      first.attempt.update((r) => ({ ...r, error: 'late write' })),
      FencedError,
    );
    // Nobody without the lease ends it while the second attempt lives, not even the reconciler.
    await assert.rejects(lifecycle.endOrphan(d.id, 'failed', 'looks dead'), FencedError);
    // And the old job answers for nothing any more.
    assert.equal((await lifecycle.begin(d.id, d.id)).kind, 'done');

    const done = await second.attempt.finish('succeeded');
    assert.equal(done.status, 'succeeded');
    assert.equal(done.error, undefined);
    await assertEndedCleanly(done);
  });

  it('keeps a deployment that is not first in line waiting, and lets it run after', async () => {
    const env = environment();
    const a = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    const b = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    assert.equal((await lifecycle.begin(b.id, b.id)).kind, 'wait');
    const first = await lifecycle.begin(a.id, a.id);
    assert.equal(first.kind, 'started');
    assert.equal((await lifecycle.begin(b.id, b.id)).kind, 'wait');
    if (first.kind === 'started') await first.attempt.finish('succeeded');
    const second = await lifecycle.begin(b.id, b.id);
    assert.equal(second.kind, 'started');
    if (second.kind === 'started') await second.attempt.finish('succeeded');
  });

  it('records a cancel of a running deployment for whoever runs it next', async () => {
    const env = environment();
    const d = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const first = await lifecycle.begin(d.id, d.id);
    assert.equal(first.kind, 'started');
    const asked = await lifecycle.requestCancel(d.id, 'alice');
    assert.equal(asked.status, 'running');
    await redis.del(keys.environmentLease(env.name));
    const resumed = await lifecycle.begin(d.id, d.id);
    assert.equal(resumed.kind, 'started');
    if (resumed.kind !== 'started') return;
    assert.equal(resumed.attempt.cancelRequested, true);
    assert.equal(await resumed.attempt.cancelledBy(), 'alice');
    await resumed.attempt.finish('cancelled');
  });

  it('hands the environment to the deployment waiting for it when the one before ends', async () => {
    const env = environment();
    const first = await lifecycle.enqueue(newDeployment(env, 'up', { kind: 'api' }));
    const second = await lifecycle.enqueue(newDeployment(env, 'refresh', { kind: 'api' }));
    // The first runs here, without a job; the second's job goes through a worker and waits.
    await lifecycle.queue.remove(first.id);
    const begun = await lifecycle.begin(first.id, first.id);
    assert.equal(begun.kind, 'started');
    if (begun.kind !== 'started') return;
    const outcomes: string[] = [];
    const connection = new Redis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379', {
      maxRetriesPerRequest: null,
    });
    const worker = new Worker(
      queueName,
      async (job, token) => {
        // Earlier tests' jobs share the queue; they find their deployments ended.
        if (job.data.deploymentId !== second.id) return;
        const result = await lifecycle.begin(job.data.deploymentId, job.id ?? '');
        outcomes.push(result.kind);
        if (result.kind === 'wait') {
          // Far longer than the test runs: only a hand-off can bring the job back.
          await lifecycle.waitForTurn(job, token, 600_000);
          throw new DelayedError();
        }
        if (result.kind === 'started') await result.attempt.finish('succeeded');
      },
      { connection },
    );
    try {
      const job = await lifecycle.queue.getJob(second.id);
      assert.ok(job);
      while (!(await job.isDelayed())) await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(outcomes, ['wait']);

      await begun.attempt.finish('succeeded');
      const state = await job.getState();
      assert.notEqual(state, 'delayed', 'the waiting deployment was left to its delay');
      while ((await lifecycle.get(second.id))?.status !== 'succeeded')
        await new Promise((r) => setTimeout(r, 20));
      assert.deepEqual(outcomes, ['wait', 'started']);
    } finally {
      await worker.close();
      await connection.quit();
    }
  });
});
