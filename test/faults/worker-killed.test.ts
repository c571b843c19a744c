import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { describe, it } from 'node:test';
import { uniqueName } from '../helpers/harness';
import { databaseExists, roleExists } from '../helpers/postgres';
import { pause, strataForSuite } from '../helpers/servers';

/** Kill trials per way of killing; the bench runs more. */
const TRIALS = Number(process.env.STRATA_FAULT_TRIALS ?? 5);

interface Bundle {
  DB_USER: string;
  DB_NAME: string;
  STORAGE_ENDPOINT: string;
  STORAGE_BUCKET: string;
}

describe('a worker killed during an up', () => {
  const servers = strataForSuite();

  /** Lets the deployment end on a new worker, then checks it and the environment are whole. */
  async function recoverAndCheck(name: string, id: string): Promise<void> {
    servers.strata.startWorker();
    const ended = await servers.strata.waitFor(id);
    assert.equal(ended.status, 'succeeded', `${ended.status}: ${ended.error ?? ''}`);
    assert.deepEqual(
      servers.strata.strays(),
      [],
      'an engine process of the dead worker is still running',
    );

    const again = await servers.strata.waitFor(await servers.strata.deploy(name));
    assert.equal(again.status, 'succeeded', again.error);
    const bundle = (await (
      await servers.strata.api(`/v1/environments/${name}/env?format=json`)
    ).json()) as Bundle;
    assert.ok(await roleExists(bundle.DB_USER));

    assert.equal((await servers.strata.destroy(name)).status, 'succeeded');
    assert.equal((await servers.strata.api(`/v1/environments/${name}`)).status, 404);
    assert.equal(await roleExists(bundle.DB_USER), false);
    assert.equal(await databaseExists(bundle.DB_NAME), false);
    const bucket = path.join(new URL(bundle.STORAGE_ENDPOINT).pathname, bundle.STORAGE_BUCKET);
    assert.equal(fs.existsSync(bucket), false);
  }

  const layers = { data: { target: 'local' }, storage: { target: 'local' } };

  it(`resumes after SIGKILL of the worker process at a random moment (${TRIALS} trials)`, async () => {
    for (let trial = 0; trial < TRIALS; trial++) {
      const name = uniqueName('killed');
      const id = await servers.strata.create({ name, layers });
      await servers.strata.waitFor(id, ['running']);
      // Anywhere from the start of the engine to the middle of creating resources.
      await pause(200 + Math.random() * 3_000);
      await servers.strata.killWorker();
      await recoverAndCheck(name, id);
    }
  });

  it('resumes after SIGKILL of the whole process group, as a container stop does', async () => {
    const name = uniqueName('group');
    const id = await servers.strata.create({ name, layers });
    await servers.strata.waitFor(id, ['running']);
    await pause(1_500);
    await servers.strata.killWorker({ group: true });
    await recoverAndCheck(name, id);
  });

  it('ends by itself when killed twice in a row on the same deployment', async () => {
    const name = uniqueName('twice');
    const id = await servers.strata.create({ name, layers });
    await servers.strata.waitFor(id, ['running']);
    await pause(1_000);
    await servers.strata.killWorker();
    servers.strata.startWorker();
    // Just after the new worker resumed it.
    for (;;) {
      const d = await servers.strata.deployment(id);
      if ((d.attempts ?? 0) >= 2 || d.status !== 'running') break;
      await pause(100);
    }
    await pause(500);
    await servers.strata.killWorker();
    await recoverAndCheck(name, id);
    assert.ok(((await servers.strata.deployment(id)).attempts ?? 0) >= 3);
  });
});
