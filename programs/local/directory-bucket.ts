import * as pulumi from '@pulumi/pulumi';

export interface BucketInputs {
  /** Directory that holds every local bucket. */
  root: string;
  name: string;
  /**
   * The environment and stack the bucket belongs to, recorded beside it. A bucket name is
   * chosen by the user, so two environments could otherwise name, overwrite and delete the
   * same one. (States written before ownership existed lack both.)
   */
  environment: string;
  stack: string;
}
export interface BucketOutputs extends BucketInputs {
  path: string;
  accessKey: string;
  secretKey: string;
}

interface Owner {
  environment: string;
  stack: string;
}

/** `<root>/<name>.owner.json`: bucket names have no dots, so it never names a bucket. */
function ownerFile(inputs: { root: string; name: string }): string {
  const path = require('node:path') as typeof import('node:path');
  return path.join(inputs.root, `${inputs.name}.owner.json`);
}

function readOwner(inputs: { root: string; name: string }): Owner | undefined {
  const fs = require('node:fs') as typeof import('node:fs');
  try {
    return JSON.parse(fs.readFileSync(ownerFile(inputs), 'utf8')) as Owner;
  } catch {
    return undefined;
  }
}

function sameOwner(found: Owner | undefined, inputs: Owner): boolean {
  return found?.environment === inputs.environment && found.stack === inputs.stack;
}

/**
 * Makes the bucket `inputs` names this stack's, or says whose it is. Writing the owner file
 * with `wx` is the claim: of two stacks claiming one name at once, exactly one wins.
 */
function claim(inputs: BucketInputs): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const path = require('node:path') as typeof import('node:path');
  const owner: Owner = { environment: inputs.environment, stack: inputs.stack };
  fs.mkdirSync(inputs.root, { recursive: true });
  const existed = fs.existsSync(path.join(inputs.root, inputs.name));
  try {
    fs.writeFileSync(ownerFile(inputs), JSON.stringify(owner), { flag: 'wx', mode: 0o600 });
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    const found = readOwner(inputs);
    // This stack's own: an interrupted create made it before the state was saved.
    if (sameOwner(found, owner)) return;
    throw new Error(
      `bucket "${inputs.name}" already exists and belongs to environment "${found?.environment ?? 'unknown'}"; choose another bucket name (config "bucket")`,
    );
  }
  if (existed) {
    // A directory Strata did not make (or made before buckets had owners): not this stack's.
    fs.rmSync(ownerFile(inputs), { force: true });
    throw new Error(
      `bucket "${inputs.name}" already exists and belongs to no environment of this installation; choose another bucket name (config "bucket")`,
    );
  }
}

/*
 * Serialized into the state and run by pulumi-resource-pulumi-nodejs: requires stay inside
 * the methods and the small helpers above, which are serialized with them.
 */
export const bucketProvider: pulumi.dynamic.ResourceProvider<BucketInputs, BucketOutputs> = {
  async create(inputs) {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    const { randomBytes } = require('node:crypto') as typeof import('node:crypto');
    claim(inputs);
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
    if (!fs.existsSync(props.path)) {
      // An empty directory in its place would pass for the bucket and lose its objects without a
      // word; several workers that do not share the root would each see a different bucket.
      throw new Error(
        fs.existsSync(props.root)
          ? `bucket "${props.name}" is missing from ${props.root} (STRATA_BUCKETS_DIR): it was removed, or this worker does not share that directory with the worker that created it. Strata does not create an empty bucket in its place: restore ${props.path}, or destroy the layer and create it again`
          : `${props.root} (STRATA_BUCKETS_DIR), where bucket "${props.name}" was created, does not exist on this worker: every worker must mount the same shared directory there`,
      );
    }
    const found = readOwner(props);
    // A bucket now owned by another stack is, for this one, gone.
    const mine = props.stack === undefined ? !found : sameOwner(found, props);
    return mine ? { id, props } : {};
  },
  async diff(_id, olds, news) {
    if (olds.root !== news.root) {
      // Replacing would delete the bucket (with its objects) and create an empty one elsewhere.
      throw new Error(
        `bucket "${olds.name}" lives under ${olds.root}, but this worker's STRATA_BUCKETS_DIR is ${news.root}: every worker must use the same STRATA_BUCKETS_DIR, and Strata does not move buckets`,
      );
    }
    const replaces = olds.name === news.name ? [] : ['name'];
    const changes = replaces.length > 0 || !sameOwner(olds, news);
    return { changes, replaces, deleteBeforeReplace: true };
  },
  async update(_id, olds, news) {
    // A state from before buckets had owners: its bucket is claimed now.
    claimExisting(news);
    return { outs: { ...olds, ...news } };
  },
  async delete(_id, props) {
    const fs = require('node:fs') as typeof import('node:fs');
    const path = require('node:path') as typeof import('node:path');
    const found = readOwner(props);
    // Another stack's bucket of the same name (this one's was removed and the name taken
    // again) is left alone; a bucket from before owners existed has no owner file.
    if (props.stack === undefined ? found !== undefined : !sameOwner(found, props)) return;
    fs.rmSync(props.path, { recursive: true, force: true });
    fs.rmSync(path.join(props.root, `${props.name}.credentials.json`), { force: true });
    fs.rmSync(ownerFile(props), { force: true });
  },
};

/** For an update: the bucket already exists and is this stack's unless another claimed it. */
function claimExisting(inputs: BucketInputs): void {
  const fs = require('node:fs') as typeof import('node:fs');
  const found = readOwner(inputs);
  if (sameOwner(found, inputs)) return;
  if (found) {
    throw new Error(
      `bucket "${inputs.name}" belongs to environment "${found.environment}"; choose another bucket name (config "bucket")`,
    );
  }
  const owner: Owner = { environment: inputs.environment, stack: inputs.stack };
  fs.writeFileSync(ownerFile(inputs), JSON.stringify(owner), { mode: 0o600 });
}

/** A directory standing in for an object-storage bucket, with generated access keys. */
export class DirectoryBucket extends pulumi.dynamic.Resource {
  declare readonly name: pulumi.Output<string>;
  declare readonly path: pulumi.Output<string>;
  declare readonly accessKey: pulumi.Output<string>;
  declare readonly secretKey: pulumi.Output<string>;

  constructor(
    name: string,
    args: {
      root: pulumi.Input<string>;
      name: pulumi.Input<string>;
      environment: pulumi.Input<string>;
      stack: pulumi.Input<string>;
    },
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
