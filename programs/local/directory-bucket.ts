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
    return fs.existsSync(props.path) ? { id, props } : {};
  },
  async diff(_id, olds, news) {
    const replaces = (['root', 'name'] as const).filter((k) => olds[k] !== news[k]);
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
