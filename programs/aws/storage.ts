import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { AwsPrivateBucket } from '../components/aws-private-bucket';
import { AWS_REGION_PATTERN, awsProvider, layerRegion } from '../components/aws-provider';
import { failOn } from '../lib/config';
import { defineLayer } from '../lib/types';

export const awsStorageConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: AWS_REGION_PATTERN,
        description: "AWS region; default: the network layer's",
      }),
    ),
    versioning: Type.Boolean({
      default: true,
      description: 'Keep every version of every object (always on in prod)',
    }),
    encryption: Type.Union([Type.Literal('AES256'), Type.Literal('aws:kms')], {
      default: 'AES256',
      description: 'Server-side encryption: S3-managed keys (AES256) or KMS (aws:kms)',
    }),
    kmsKeyArn: Type.Optional(
      Type.String({
        pattern: '^arn:aws[a-z-]*:kms:[a-z0-9-]+:\\d{12}:(key|alias)/.+$',
        description: 'KMS key for aws:kms; default: the AWS-managed aws/s3 key',
      }),
    ),
    transitionToIaDays: Type.Integer({
      default: 30,
      minimum: 30,
      maximum: 3650,
      description: 'Days before objects move to STANDARD_IA (S3 needs at least 30)',
    }),
    transitionToGlacierDays: Type.Integer({
      default: 90,
      minimum: 31,
      maximum: 3650,
      description: 'Days before objects move to GLACIER; must be later than transitionToIaDays',
    }),
    expirationDays: Type.Optional(
      Type.Integer({
        minimum: 32,
        maximum: 36500,
        description:
          'Days before objects expire; must be later than transitionToGlacierDays; unset keeps them forever',
      }),
    ),
    noncurrentVersionExpirationDays: Type.Integer({
      default: 90,
      minimum: 1,
      maximum: 3650,
      description: 'Days a replaced or deleted version is kept',
    }),
    accessLogging: Type.Boolean({
      default: true,
      description: 'Write S3 server access logs to a separate private log bucket',
    }),
    accessLogRetentionDays: Type.Integer({
      default: 90,
      minimum: 1,
      maximum: 3650,
      description: 'Days access logs are kept',
    }),
    forceDestroy: Type.Boolean({
      default: false,
      description: 'Let destroy delete a non-empty bucket (never in prod)',
    }),
  },
  { additionalProperties: false },
);

/** Objects move to cheaper classes, then expire, in that order. */
function lifecycleProblems(cfg: {
  transitionToIaDays: number;
  transitionToGlacierDays: number;
  expirationDays?: number;
}): string[] {
  const problems: string[] = [];
  if (cfg.transitionToGlacierDays <= cfg.transitionToIaDays) {
    problems.push(
      `layers.storage.config.transitionToGlacierDays: must be greater than transitionToIaDays (${cfg.transitionToIaDays})`,
    );
  }
  if (cfg.expirationDays !== undefined && cfg.expirationDays <= cfg.transitionToGlacierDays) {
    problems.push(
      `layers.storage.config.expirationDays: must be greater than transitionToGlacierDays (${cfg.transitionToGlacierDays})`,
    );
  }
  return problems;
}

export const awsStorage = defineLayer({
  target: 'aws',
  layer: 'storage',
  description:
    'Private S3 bucket with versioning, lifecycle to IA/Glacier/expiry, SSE, access logging, and an IAM user scoped to it',
  config: awsStorageConfig,
  presets: {
    dev: { forceDestroy: true, expirationDays: 365, accessLogRetentionDays: 14 },
    staging: { forceDestroy: true },
    prod: { accessLogRetentionDays: 365 },
  },
  enforced: { prod: { versioning: true, forceDestroy: false } },
  outputs: [
    { name: 'endpoint', env: 'STORAGE_ENDPOINT', description: 'S3 endpoint URL of the region' },
    { name: 'bucket', env: 'STORAGE_BUCKET', description: 'Bucket name' },
    { name: 'region', env: 'STORAGE_REGION', description: 'Bucket region' },
    {
      name: 'accessKey',
      env: 'STORAGE_ACCESS_KEY',
      secret: true,
      description: 'Access key id of the bucket user',
    },
    {
      name: 'secretKey',
      env: 'STORAGE_SECRET_KEY',
      secret: true,
      description: 'Secret access key of the bucket user',
    },
  ],
  check: lifecycleProblems,
  program: (args) => async () => {
    const cfg = args.config;
    failOn(lifecycleProblems(cfg));
    const region = layerRegion(args, cfg.region);
    const provider = awsProvider(args, 'storage', region);
    const opts = { providers: [provider] };
    const name = `${args.environment}-data`;

    const data = new AwsPrivateBucket(
      name,
      {
        namePrefix: name,
        versioning: cfg.versioning,
        sseAlgorithm: cfg.encryption,
        kmsKeyId: cfg.kmsKeyArn,
        forceDestroy: cfg.forceDestroy,
        lifecycleRules: [
          {
            id: 'archive-old-data',
            status: 'Enabled',
            filter: {},
            transitions: [
              { days: cfg.transitionToIaDays, storageClass: 'STANDARD_IA' },
              { days: cfg.transitionToGlacierDays, storageClass: 'GLACIER' },
            ],
            expiration: cfg.expirationDays === undefined ? undefined : { days: cfg.expirationDays },
            noncurrentVersionExpiration: { noncurrentDays: cfg.noncurrentVersionExpirationDays },
            abortIncompleteMultipartUpload: { daysAfterInitiation: 7 },
          },
        ],
      },
      opts,
    );
    const bucket = data.bucket;
    new aws.s3.BucketPolicy(
      name,
      {
        bucket: bucket.id,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Sid: 'DenyInsecureTransport',
              Effect: 'Deny',
              Principal: '*',
              Action: 's3:*',
              Resource: [bucket.arn, pulumi.interpolate`${bucket.arn}/*`],
              Condition: { Bool: { 'aws:SecureTransport': 'false' } },
            },
          ],
        }),
      },
      { provider, dependsOn: [data.publicAccessBlock] },
    );

    if (cfg.accessLogging) {
      const logs = new AwsPrivateBucket(
        `${args.environment}-access-logs`,
        {
          namePrefix: `${args.environment}-access-logs`,
          versioning: false,
          // S3 log delivery can only write with S3-managed keys.
          sseAlgorithm: 'AES256',
          forceDestroy: cfg.forceDestroy,
          lifecycleRules: [
            {
              id: 'expire-access-logs',
              status: 'Enabled',
              filter: {},
              expiration: { days: cfg.accessLogRetentionDays },
            },
          ],
        },
        opts,
      );
      new aws.s3.BucketPolicy(
        `${args.environment}-access-logs`,
        {
          bucket: logs.bucket.id,
          policy: pulumi.jsonStringify({
            Version: '2012-10-17',
            Statement: [
              {
                Sid: 'S3ServerAccessLogs',
                Effect: 'Allow',
                Principal: { Service: 'logging.s3.amazonaws.com' },
                Action: 's3:PutObject',
                Resource: pulumi.interpolate`${logs.bucket.arn}/s3-access-logs/*`,
                Condition: { ArnLike: { 'aws:SourceArn': bucket.arn } },
              },
            ],
          }),
        },
        { provider, dependsOn: [logs.publicAccessBlock] },
      );
      new aws.s3.BucketLogging(
        name,
        { bucket: bucket.id, targetBucket: logs.bucket.id, targetPrefix: 's3-access-logs/' },
        { provider },
      );
    }

    // Applications get a user that can touch this bucket and nothing else.
    const user = new aws.iam.User(
      `${args.environment}-storage`,
      { path: '/strata/' },
      { provider },
    );
    new aws.iam.UserPolicy(
      `${args.environment}-storage`,
      {
        user: user.name,
        policy: pulumi.jsonStringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['s3:ListBucket', 's3:GetBucketLocation', 's3:ListBucketVersions'],
              Resource: bucket.arn,
            },
            {
              Effect: 'Allow',
              Action: [
                's3:GetObject',
                's3:GetObjectVersion',
                's3:PutObject',
                's3:DeleteObject',
                's3:AbortMultipartUpload',
                's3:ListMultipartUploadParts',
              ],
              Resource: pulumi.interpolate`${bucket.arn}/*`,
            },
            ...(cfg.encryption === 'aws:kms' && cfg.kmsKeyArn
              ? [
                  {
                    Effect: 'Allow',
                    Action: ['kms:Decrypt', 'kms:GenerateDataKey'],
                    Resource: cfg.kmsKeyArn,
                  },
                ]
              : []),
          ],
        }),
      },
      { provider },
    );
    const key = new aws.iam.AccessKey(
      `${args.environment}-storage`,
      { user: user.name },
      { provider },
    );

    return {
      endpoint: pulumi.interpolate`https://s3.${region}.amazonaws.com`,
      bucket: bucket.bucket,
      region,
      accessKey: pulumi.secret(key.id),
      secretKey: pulumi.secret(key.secret),
    };
  },
});
