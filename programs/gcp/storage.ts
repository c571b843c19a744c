import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Type } from '@sinclair/typebox';
import { defineLayer } from '../lib/types';
import { gcpCommon, gcpName } from './common';

export const gcpStorage = defineLayer({
  target: 'gcp',
  layer: 'storage',
  description:
    'A private GCS bucket (uniform bucket-level access, public access prevention enforced, versioning, lifecycle rules) and an HMAC key of a dedicated service account for S3-compatible access.',
  config: Type.Object(
    {
      ...gcpCommon,
      location: Type.String({
        pattern: '^[A-Za-z0-9-]+$',
        default: 'EU',
        description: 'Bucket location: a region or multi-region (EU, US).',
      }),
      storageClass: Type.Union(
        [
          Type.Literal('STANDARD'),
          Type.Literal('NEARLINE'),
          Type.Literal('COLDLINE'),
          Type.Literal('ARCHIVE'),
        ],
        { default: 'STANDARD', description: 'Default storage class.' },
      ),
      versioning: Type.Boolean({ default: true, description: 'Keep noncurrent object versions.' }),
      noncurrentVersionDays: Type.Integer({
        minimum: 1,
        maximum: 3650,
        default: 30,
        description: 'Delete noncurrent versions after this many days.',
      }),
      coldlineAfterDays: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 3650,
          description: 'Move objects to COLDLINE after this many days.',
        }),
      ),
      expireAfterDays: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 36500,
          description: 'Delete objects after this many days.',
        }),
      ),
      forceDestroy: Type.Boolean({
        default: false,
        description: 'Let destroy delete a bucket that still holds objects.',
      }),
      hmacKey: Type.Boolean({
        default: true,
        description: 'Create an HMAC key (S3 API access keys) for a dedicated service account.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { forceDestroy: true, noncurrentVersionDays: 7 },
    prod: { coldlineAfterDays: 90 },
  },
  enforced: { prod: { forceDestroy: false, versioning: true } },
  outputs: [
    { name: 'endpoint', env: 'STORAGE_ENDPOINT', description: 'S3-compatible endpoint (XML API).' },
    { name: 'bucket', env: 'STORAGE_BUCKET', description: 'Bucket name.' },
    { name: 'accessKey', env: 'STORAGE_ACCESS_KEY', secret: true, description: 'HMAC access ID.' },
    { name: 'secretKey', env: 'STORAGE_SECRET_KEY', secret: true, description: 'HMAC secret.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const project = c.project;
    // Bucket names are global: a random suffix keeps environments of different projects apart.
    const suffix = new random.RandomId('bucket-suffix', { byteLength: 3 });
    const lifecycleRules: gcp.types.input.storage.BucketLifecycleRule[] = [
      {
        action: { type: 'Delete' },
        condition: { daysSinceNoncurrentTime: c.noncurrentVersionDays, withState: 'ARCHIVED' },
      },
      { action: { type: 'AbortIncompleteMultipartUpload' }, condition: { age: 7 } },
    ];
    if (c.coldlineAfterDays !== undefined) {
      lifecycleRules.push({
        action: { type: 'SetStorageClass', storageClass: 'COLDLINE' },
        condition: { age: c.coldlineAfterDays, withState: 'LIVE' },
      });
    }
    if (c.expireAfterDays !== undefined) {
      lifecycleRules.push({
        action: { type: 'Delete' },
        condition: { age: c.expireAfterDays, withState: 'LIVE' },
      });
    }
    const bucket = new gcp.storage.Bucket('bucket', {
      name: pulumi.interpolate`${gcpName(args.environment, 'data')}-${suffix.hex}`,
      location: c.location,
      storageClass: c.storageClass,
      uniformBucketLevelAccess: true,
      publicAccessPrevention: 'enforced',
      versioning: { enabled: c.versioning },
      lifecycleRules,
      forceDestroy: c.forceDestroy,
      labels: { 'strata-environment': args.environment },
      project,
    });
    const outputs: Record<string, unknown> = {
      endpoint: 'https://storage.googleapis.com',
      bucket: bucket.name,
    };
    if (c.hmacKey) {
      const account = new gcp.serviceaccount.Account('storage-sa', {
        accountId: gcpName(args.environment.slice(0, 21), 'storage'),
        displayName: `Strata ${args.environment} storage`,
        project,
      });
      new gcp.storage.BucketIAMMember('storage-sa-access', {
        bucket: bucket.name,
        role: 'roles/storage.objectAdmin',
        member: pulumi.interpolate`serviceAccount:${account.email}`,
      });
      const key = new gcp.storage.HmacKey('hmac', { serviceAccountEmail: account.email, project });
      outputs.accessKey = pulumi.secret(key.accessId);
      outputs.secretKey = pulumi.secret(key.secret);
    }
    return outputs;
  },
});
