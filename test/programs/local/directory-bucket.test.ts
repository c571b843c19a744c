import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { bucketProvider, type BucketOutputs } from '../../../programs/local/directory-bucket';

describe('the local directory bucket on several workers', () => {
  const root = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-buckets-'));
  after(() => fs.rmSync(root, { recursive: true, force: true }));

  it('refuses a bucket missing from the shared root instead of creating an empty one', async () => {
    const owner = { environment: 'shop-env', stack: 'shop-env.storage' };
    const { outs } = await bucketProvider.create!({ root, name: 'shop', ...owner });
    const props = outs as BucketOutputs;
    assert.deepEqual((await bucketProvider.read!('shop', props)).props, props);
    fs.rmSync(props.path, { recursive: true });
    await assert.rejects(
      bucketProvider.read!('shop', props),
      /missing from .*STRATA_BUCKETS_DIR.*does not create an empty bucket/,
    );
    const elsewhere: BucketOutputs = {
      ...props,
      root: path.join(root, 'not-mounted'),
      path: path.join(root, 'not-mounted', 'shop'),
    };
    await assert.rejects(
      bucketProvider.read!('shop', elsewhere),
      /does not exist on this worker: every worker must mount the same shared directory/,
    );
  });

  it('refuses to move a bucket to another root', async () => {
    const owner = { environment: 'shop-env', stack: 'shop-env.storage' };
    const olds = {
      root,
      name: 'shop',
      path: path.join(root, 'shop'),
      accessKey: 'a',
      secretKey: 'b',
      ...owner,
    };
    await assert.rejects(
      bucketProvider.diff!('shop', olds, { root: '/elsewhere', name: 'shop', ...owner }),
      /every worker must use the same STRATA_BUCKETS_DIR/,
    );
    assert.deepEqual(
      (await bucketProvider.diff!('shop', olds, { root, name: 'shop', ...owner })).replaces,
      [],
    );
  });
});
