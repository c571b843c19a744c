import * as cloudflare from '@pulumi/cloudflare';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { createHash } from 'node:crypto';
import { CloudflareEdge } from '../components/cloudflare-edge';
import { CloudflareWorkers } from '../components/cloudflare-workers';
import { defineLayer } from '../lib/types';
import { ingressTargets } from './network';
import { accountId, deployId, edgeProperties, workerProperties, zoneId } from './schemas';

export const cloudflareStorage = defineLayer({
  target: 'cloudflare',
  layer: 'storage',
  description:
    "An R2 bucket (private: no r2.dev or custom domain) with an optional expiry lifecycle and S3 API credentials from a bucket-scoped account token. Its optional `edge` block also creates the zone's DNS records, rate limits and Workers, for environments whose network layer runs on another target.",
  config: Type.Object(
    {
      accountId,
      zoneId,
      bucket: Type.String({
        pattern: '^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$',
        default: 'data',
        description: 'Bucket name suffix (prefixed with the environment).',
      }),
      jurisdiction: Type.Union(
        [Type.Literal('default'), Type.Literal('eu'), Type.Literal('fedramp')],
        { default: 'default', description: 'Data residency.' },
      ),
      locationHint: Type.Optional(
        Type.Union(
          ['weur', 'eeur', 'wnam', 'enam', 'apac', 'oc'].map((l) => Type.Literal(l)),
          { description: 'Where R2 places the bucket.' },
        ),
      ),
      storageClass: Type.Union([Type.Literal('Standard'), Type.Literal('InfrequentAccess')], {
        default: 'Standard',
        description: 'Default storage class.',
      }),
      expireAfterDays: Type.Optional(
        Type.Integer({
          minimum: 1,
          maximum: 36500,
          description: 'Delete objects older than this.',
        }),
      ),
      s3Credentials: Type.Boolean({
        default: true,
        description: 'Create S3 API credentials limited to this bucket.',
      }),
      r2WritePermissionGroup: Type.String({
        pattern: '^[0-9a-f]{32}$',
        default: '2efd5506f9c8494dacb1fa10a3e7d5b6',
        description: 'Permission group "Workers R2 Storage Bucket Item Write".',
      }),
      edge: Type.Optional(
        Type.Object(
          { ...edgeProperties, ...workerProperties },
          { additionalProperties: false, description: 'DNS, rate limits and Workers of the zone.' },
        ),
      ),
    },
    { additionalProperties: false },
  ),
  // The bucket belongs to the account; the zone only matters for parts of the `edge` block.
  requiredToDeploy: ['accountId'],
  outputs: [
    { name: 'endpoint', env: 'STORAGE_ENDPOINT', description: 'R2 S3 endpoint.' },
    { name: 'bucket', env: 'STORAGE_BUCKET', description: 'Bucket name.' },
    {
      name: 'accessKey',
      env: 'STORAGE_ACCESS_KEY',
      secret: true,
      description: 'S3 access key ID (the token ID).',
    },
    {
      name: 'secretKey',
      env: 'STORAGE_SECRET_KEY',
      secret: true,
      description: 'S3 secret (SHA-256 of the token value).',
    },
    {
      name: 'hostnames',
      env: 'EDGE_HOSTNAMES',
      description: 'DNS record names of the edge block.',
    },
    {
      name: 'workers',
      env: 'WORKER_SCRIPTS',
      description: 'Workers script names of the edge block.',
    },
  ],
  program: (args) => async () => {
    const c = args.config;
    const account = deployId(args, 'storage', 'accountId', c.accountId, 'the R2 bucket');
    const bucket = new cloudflare.R2Bucket('bucket', {
      accountId: account,
      name: `${args.environment}-${c.bucket}`,
      jurisdiction: c.jurisdiction,
      location: c.locationHint,
      storageClass: c.storageClass,
    });
    if (c.expireAfterDays !== undefined) {
      new cloudflare.R2BucketLifecycle('bucket-lifecycle', {
        accountId: account,
        bucketName: bucket.name,
        jurisdiction: c.jurisdiction,
        rules: [
          {
            id: 'expire',
            enabled: true,
            conditions: { prefix: '' },
            deleteObjectsTransition: {
              condition: { type: 'Age', maxAge: c.expireAfterDays * 86400 },
            },
            abortMultipartUploadsTransition: { condition: { type: 'Age', maxAge: 7 * 86400 } },
          },
        ],
      });
    }
    const host =
      c.jurisdiction === 'default'
        ? 'r2.cloudflarestorage.com'
        : `${c.jurisdiction}.r2.cloudflarestorage.com`;
    const outputs: Record<string, unknown> = {
      endpoint: `https://${account}.${host}`,
      bucket: bucket.name,
    };
    if (c.s3Credentials) {
      const token = new cloudflare.AccountToken('s3-token', {
        accountId: account,
        name: `${args.environment} R2 ${c.bucket}`,
        policies: [
          {
            effect: 'allow',
            permissionGroups: [{ id: c.r2WritePermissionGroup }],
            resources: bucket.name.apply((name) =>
              JSON.stringify({
                [`com.cloudflare.edge.r2.bucket.${account}_${c.jurisdiction}_${name}`]: '*',
              }),
            ),
          },
        ],
      });
      // R2's S3 API: the access key is the token ID, the secret is the SHA-256 of its value.
      outputs.accessKey = pulumi.secret(token.id);
      outputs.secretKey = pulumi.secret(
        token.value.apply((value) =>
          createHash('sha256')
            .update(value ?? '')
            .digest('hex'),
        ),
      );
    }
    if (c.edge) {
      const zoneUses = [
        c.edge.records.length > 0 ? 'DNS records' : '',
        c.edge.rateLimits.length > 0 ? 'rate limits' : '',
        c.edge.managedWaf ? 'the managed WAF' : '',
        c.edge.workers.some((w) => w.routes.length > 0) ? 'Workers routes' : '',
      ].filter((use) => use !== '');
      // An edge block of route-less Workers only makes account-scoped resources: no zone needed.
      const zone =
        zoneUses.length > 0
          ? deployId(args, 'storage', 'zoneId', c.zoneId, `the edge block's ${zoneUses.join(', ')}`)
          : (c.zoneId ?? '');
      const { targets, count } = ingressTargets(args);
      const edge = new CloudflareEdge('edge', {
        prefix: args.environment,
        zoneId: zone,
        records: c.edge.records,
        defaultTargets: targets,
        defaultTargetCount: count,
        rateLimits: c.edge.rateLimits,
        managedWaf: c.edge.managedWaf,
      });
      const workers = new CloudflareWorkers('workers', {
        prefix: args.environment,
        accountId: account,
        zoneId: zone,
        workers: c.edge.workers,
        compatibilityDate: c.edge.compatibilityDate,
        bucketName: bucket.name,
      });
      outputs.hostnames = edge.hostnames.apply((h) => h.join(','));
      outputs.workers = workers.scriptNames.apply((n) => n.join(','));
    }
    return outputs;
  },
});
