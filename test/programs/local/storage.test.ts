/**
 * A local bucket belongs to the environment that made it: through the real engine, a second
 * environment naming the same bucket is refused, and a destroy never deletes another's bucket.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../../helpers/harness';

describe('a local bucket', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(() => h.close());

  const destroy = async (name: string): Promise<Record<string, unknown>> => {
    const response = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
    assert.equal(response.status, 202);
    return waitForDeployment(h, ((await response.json()) as { id: string }).id);
  };

  it('belongs to its environment', async () => {
    const bucket = uniqueName('shared');
    const layers = { storage: { target: 'local', config: { bucket } } };
    const root = path.join(h.settings.dataDir, 'buckets');
    const dir = path.join(root, bucket);
    const credentials = path.join(root, `${bucket}.credentials.json`);

    const owner = uniqueName('owner');
    assert.equal((await createEnvironment(h, { name: owner, layers })).status, 'succeeded');
    fs.writeFileSync(path.join(dir, 'object.txt'), 'the owner wrote this');
    const keys = fs.readFileSync(credentials, 'utf8');

    // Another environment naming it is refused, and the owner's keys and objects stay.
    const other = uniqueName('other');
    const refused = await createEnvironment(h, { name: other, layers });
    assert.equal(refused.status, 'failed');
    assert.match(
      JSON.stringify(refused),
      new RegExp(
        `bucket \\\\"${bucket}\\\\" already exists and belongs to environment \\\\"${owner}\\\\"`,
      ),
    );
    assert.equal(fs.readFileSync(credentials, 'utf8'), keys);
    // Destroying the refused environment leaves the owner's bucket alone.
    assert.equal((await destroy(other)).status, 'succeeded');
    assert.equal(fs.readFileSync(path.join(dir, 'object.txt'), 'utf8'), 'the owner wrote this');
    assert.equal(fs.readFileSync(credentials, 'utf8'), keys);

    // Removed behind Strata's back and made again by a third environment, the bucket is no
    // longer the first's: its destroy leaves it.
    for (const entry of fs.readdirSync(root).filter((e) => e.startsWith(bucket)))
      fs.rmSync(path.join(root, entry), { recursive: true, force: true });
    const third = uniqueName('third');
    assert.equal((await createEnvironment(h, { name: third, layers })).status, 'succeeded');
    fs.writeFileSync(path.join(dir, 'object.txt'), 'the third wrote this');
    const thirdKeys = fs.readFileSync(credentials, 'utf8');
    assert.equal((await destroy(owner)).status, 'succeeded');
    assert.equal(fs.readFileSync(path.join(dir, 'object.txt'), 'utf8'), 'the third wrote this');
    assert.equal(fs.readFileSync(credentials, 'utf8'), thirdKeys);

    // Its own environment's destroy removes it.
    assert.equal((await destroy(third)).status, 'succeeded');
    assert.equal(fs.existsSync(dir), false);
    assert.equal(fs.existsSync(credentials), false);
  });
});
