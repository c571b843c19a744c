import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { DeploymentRecord, EnvironmentRecord, Operation } from '../../core/domain';
import { startHarness, uniqueName, type Harness, environmentRecord } from '../helpers/harness';

const DAY = 24 * 3600 * 1000;

describe('deployment history retention', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      worker: false,
      env: { STRATA_RETENTION_MAX_PER_ENVIRONMENT: '3', STRATA_RETENTION_MAX_AGE: '30d' },
    });
  });
  after(async () => {
    await h.close();
  });

  async function environment(): Promise<EnvironmentRecord> {
    const now = new Date().toISOString();
    const env: EnvironmentRecord = environmentRecord({
      name: uniqueName('retention'),
      createdAt: now,
    });
    await h.app.strata.store.createEnvironment(env);
    return env;
  }

  /** A deployment created at `at` (its place in the history), queued through the lifecycle. */
  async function queued(env: EnvironmentRecord, operation: Operation, at: number) {
    const d: DeploymentRecord = {
      ...newDeployment(env, operation, { kind: 'api' }),
      createdAt: new Date(at).toISOString(),
    };
    await h.app.strata.lifecycle.enqueue(d);
    await h.app.strata.events.append(d.id, 'engine', { note: 'something happened' });
    return d.id;
  }

  async function ended(env: EnvironmentRecord, at: number): Promise<string> {
    const id = await queued(env, 'preview', at);
    await h.app.strata.lifecycle.endWaiting(id, 'cancelled');
    return id;
  }

  async function history(env: EnvironmentRecord): Promise<string[]> {
    return (await h.app.strata.store.listDeployments(env.name)).map((d) => d.id);
  }

  it('keeps the newest records per environment, and every one that has not ended', async () => {
    const env = await environment();
    const start = Date.now() - 60_000;
    // The oldest has not ended: it stays whatever its age or rank.
    const waiting = await queued(env, 'refresh', start);
    const ids: string[] = [];
    for (let i = 1; i <= 6; i++) ids.push(await ended(env, start + i * 1000));
    assert.deepEqual(await history(env), [ids[5], ids[4], ids[3], waiting]);
    const { store, events } = h.app.strata;
    for (const gone of ids.slice(0, 3)) {
      assert.equal(await store.getDeployment(gone), undefined);
      assert.equal(await events.exists(gone), false);
    }
    assert.equal(await events.exists(ids[5] as string), true);
  });

  it('forgets ended records past the age, but never the newest ended one', async () => {
    const env = await environment();
    const now = Date.now();
    const oldest = await ended(env, now - 40 * DAY);
    const lastEnded = await ended(env, now - 38 * DAY);
    const waiting = await queued(env, 'refresh', now - 37 * DAY);
    // Ends trim by count; age is trimmed by the reconciler's pass, as here.
    await h.app.strata.lifecycle.trimHistory(env.name);
    assert.deepEqual(await history(env), [waiting, lastEnded]);
    assert.equal(await h.app.strata.store.getDeployment(oldest), undefined);
    // Once a newer deployment has ended, the old one is past its age like the rest.
    const recent = await ended(env, now);
    assert.deepEqual(await history(env), [recent, waiting]);
  });
});
