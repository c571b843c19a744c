import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '../../../core/domain';
import { awsStorage } from '../../../programs/aws/storage';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { planLayers, type PlannedResource } from '../../../catalogue/offline-plan';
import { refused } from '../../helpers/config-errors';

async function plan(stage: Stage, config: Record<string, unknown> = {}) {
  return planLayers('st', stage, [
    {
      layer: 'storage',
      definition: awsStorage,
      config: resolveLayerConfig(awsStorage, stage, config),
    },
  ]);
}

const forBucket = (resources: PlannedResource[], type: string, bucketId: string) =>
  resources.find((r) => r.type === type && r.inputs.bucket === bucketId);

/** The default server-side encryption the data bucket's encryption configuration sets. */
const dataBucketEncryption = (resources: PlannedResource[]) =>
  (
    forBucket(
      resources,
      'aws:s3/bucketServerSideEncryptionConfiguration:BucketServerSideEncryptionConfiguration',
      'st-data-id',
    )?.inputs.rules as Record<string, Record<string, unknown>>[]
  )[0]?.applyServerSideEncryptionByDefault;

test('data bucket: versioned, encrypted, lifecycle to IA, Glacier and expiry, access logs to a private log bucket', async () => {
  const { resources } = await plan('dev', {
    transitionToIaDays: 30,
    transitionToGlacierDays: 90,
    expirationDays: 365,
  });
  const buckets = resources.filter((r) => r.type === 'aws:s3/bucket:Bucket');
  assert.deepEqual(buckets.map((b) => b.name).sort(), ['st-access-logs', 'st-data']);
  assert.deepEqual(
    forBucket(resources, 'aws:s3/bucketVersioning:BucketVersioning', 'st-data-id')?.inputs
      .versioningConfiguration,
    { status: 'Enabled' },
  );
  assert.deepEqual(dataBucketEncryption(resources), { sseAlgorithm: 'AES256' });
  const lifecycle = forBucket(
    resources,
    'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
    'st-data-id',
  );
  const rule = (lifecycle?.inputs.rules as Record<string, unknown>[])[0];
  assert.deepEqual(rule?.transitions, [
    { days: 30, storageClass: 'STANDARD_IA' },
    { days: 90, storageClass: 'GLACIER' },
  ]);
  assert.deepEqual(rule?.expiration, { days: 365 });
  for (const bucket of buckets) {
    const block = forBucket(
      resources,
      'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock',
      `${bucket.name}-id`,
    );
    assert.deepEqual(
      [
        block?.inputs.blockPublicAcls,
        block?.inputs.blockPublicPolicy,
        block?.inputs.ignorePublicAcls,
        block?.inputs.restrictPublicBuckets,
      ],
      [true, true, true, true],
      `${bucket.name} blocks public access`,
    );
  }
  const logging = forBucket(resources, 'aws:s3/bucketLogging:BucketLogging', 'st-data-id');
  assert.equal(logging?.inputs.targetBucket, 'st-access-logs-id');
  assert.equal(logging?.inputs.targetPrefix, 's3-access-logs/');
});

test('the application user may touch this bucket only, and its keys are secret outputs', async () => {
  const { resources, outputs } = await plan('dev');
  const policy = resources.find((r) => r.type === 'aws:iam/userPolicy:UserPolicy');
  const statements = JSON.parse(String(policy?.inputs.policy)).Statement as { Resource: string }[];
  assert.deepEqual(
    statements.map((s) => s.Resource),
    ['arn:mock:aws:s3/bucket:Bucket:st-data', 'arn:mock:aws:s3/bucket:Bucket:st-data/*'],
  );
  assert.equal(outputs.storage?.accessKey?.secret, true);
  assert.equal(outputs.storage?.secretKey?.secret, true);
  assert.equal(outputs.storage?.endpoint?.value, 'https://s3.eu-west-1.amazonaws.com');
  const tlsOnly = resources.find(
    (r) => r.type === 'aws:s3/bucketPolicy:BucketPolicy' && r.inputs.bucket === 'st-data-id',
  );
  assert.match(String(tlsOnly?.inputs.policy), /aws:SecureTransport/);
});

test('KMS encryption uses the given key', async () => {
  const key = 'arn:aws:kms:eu-west-1:123456789012:key/abc';
  const { resources } = await plan('dev', { encryption: 'aws:kms', kmsKeyArn: key });
  assert.deepEqual(dataBucketEncryption(resources), {
    sseAlgorithm: 'aws:kms',
    kmsMasterKeyId: key,
  });
});

test('prod keeps versioning and never force-destroys; no access logging when turned off', async () => {
  const { resources } = await plan('prod', {
    versioning: false,
    forceDestroy: true,
    accessLogging: false,
  });
  const bucket = resources.find((r) => r.type === 'aws:s3/bucket:Bucket');
  assert.equal(bucket?.inputs.forceDestroy, false);
  assert.ok(forBucket(resources, 'aws:s3/bucketVersioning:BucketVersioning', 'st-data-id'));
  assert.equal(resources.filter((r) => r.type === 'aws:s3/bucketLogging:BucketLogging').length, 0);
});

test('lifecycle steps out of order are an error naming the field', async () => {
  await assert.rejects(
    plan('dev', { transitionToIaDays: 60, transitionToGlacierDays: 45 }),
    /transitionToGlacierDays/,
  );
  await assert.rejects(plan('dev', { expirationDays: 60 }), /expirationDays/);
});

test('bad storage config is refused, naming the field', () => {
  refused(awsStorage, { transitionToIaDays: 10 }, 'layers.storage.config.transitionToIaDays');
  refused(awsStorage, { encryption: 'DES' }, 'layers.storage.config.encryption');
  refused(awsStorage, { versioning: 'yes' }, 'layers.storage.config.versioning');
  refused(awsStorage, { kmsKeyArn: 'my-key' }, 'layers.storage.config.kmsKeyArn');
  refused(awsStorage, { public: true }, 'layers.storage.config.public');
});
