import * as pulumi from '@pulumi/pulumi';

export interface BucketInputs {
  /** Directory that holds every local bucket. */
  root: string;
  name: string;
}
export interface BucketOutputs extends BucketInputs {
  path: string;
  accessKey: string;
  secretKey: string;
}

/*
 * Serialized into the state and run by pulumi-resource-pulumi-nodejs: requires stay inside
 * the methods.
 */
export const bucketProvider: pulumi.dynamic.ResourceProvider<BucketInputs, BucketOutputs> = {
  async create(inputs) {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    const dir = path.join(inputs.root, inputs.name);
    fs.mkdirSync(dir, { recursive: true });
    const accessKey = `SK${randomBytes(9).toString('hex').toUpperCase()}`;
    const secretKey = randomBytes(30).toString('base64url');
    // The keys sit beside the bucket so a local S3 gateway can check them; owner-only.
    fs.writeFileSync(
      path.join(inputs.root, `${inputs.name}.credentials.json`),
      JSON.stringify({ accessKey, secretKey }),
      { mode: 0o600 },
    );
    return { id: inputs.name, outs: { ...inputs, path: dir, accessKey, secretKey } };
  },
  async read(id, props) {
    if (!props) throw new Error('importing a bucket is not supported: create it through Strata');
    const fs = require('node:fs') as typeof import('node:fs');
    if (fs.existsSync(props.path)) return { id, props };
    // An empty directory in its place would pass for the bucket and lose its objects without a
    // word; several workers that do not share the root would each see a different bucket.
    throw new Error(
      fs.existsSync(props.root)
        ? `bucket "${props.name}" is missing from ${props.root} (STRATA_BUCKETS_DIR): it was removed, or this worker does not share that directory with the worker that created it. Strata does not create an empty bucket in its place: restore ${props.path}, or destroy the layer and create it again`
        : `${props.root} (STRATA_BUCKETS_DIR), where bucket "${props.name}" was created, does not exist on this worker: every worker must mount the same shared directory there`,
    );
  },
  async diff(_id, olds, news) {
    if (olds.root !== news.root) {
      // Replacing would delete the bucket (with its objects) and create an empty one elsewhere.
      throw new Error(
        `bucket "${olds.name}" lives under ${olds.root}, but this worker's STRATA_BUCKETS_DIR is ${news.root}: every worker must use the same STRATA_BUCKETS_DIR, and Strata does not move buckets`,
      );
    }
    const replaces = olds.name === news.name ? [] : ['name'];
    return { changes: replaces.length > 0, replaces, deleteBeforeReplace: true };
  },
  async delete(_id, props) {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    fs.rmSync(props.path, { recursive: true, force: true });
    fs.rmSync(path.join(props.root, `${props.name}.credentials.json`), { force: true });
  },
};

/** A directory standing in for an object-storage bucket, with generated access keys. */
export class DirectoryBucket extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string>;
  declare readonly accessKey: pulumi.Output<string>;
  declare readonly secretKey: pulumi.Output<string>;

  constructor(
    name: string,
    args: { root: pulumi.Input<string>; name: pulumi.Input<string> },
    opts?: pulumi.CustomResourceOptions,
  ) {
    super(
      bucketProvider,
      name,
      { ...args, path: undefined, accessKey: undefined, secretKey: undefined },
      { ...opts, additionalSecretOutputs: ['accessKey', 'secretKey'] },
      'strata',
      'DirectoryBucket',
    );
  }
}
