import * as openstack from '@pulumi/openstack';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { defineLayer } from '../lib/types';

export const openstackStorage = defineLayer({
  target: 'openstack',
  layer: 'storage',
  description:
    "Private object-storage containers (Swift, S3-compatible on OVH) and an EC2-style credential for the S3 API. The first container is the bundle's STORAGE_BUCKET.",
  config: Type.Object(
    {
      containers: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9-]{1,40}[a-z0-9]$' }), {
        default: ['assets'],
        minItems: 1,
        maxItems: 20,
        uniqueItems: true,
        description:
          'Container names, each prefixed with the environment name; the first is the main bucket.',
      }),
      versioning: Type.Boolean({ default: false, description: 'Keep previous object versions.' }),
      storagePolicy: Type.Optional(
        Type.String({
          minLength: 1,
          description: 'Swift storage policy, e.g. PCS (OVH standard).',
        }),
      ),
      region: Type.Optional(
        Type.String({
          pattern: '^[A-Z]+[0-9]*$',
          description: "OpenStack region; default: the provider's.",
        }),
      ),
      s3Endpoint: Type.String({
        pattern: '^https://',
        default: 'https://s3.gra.cloud.ovh.net',
        description:
          'S3 endpoint applications use (OVH Swift containers: https://s3.<region>.cloud.ovh.net).',
      }),
      forceDestroy: Type.Boolean({
        default: false,
        description: 'Let destroy delete containers that still hold objects.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { forceDestroy: true },
    prod: { versioning: true },
  },
  enforced: { prod: { forceDestroy: false } },
  outputs: [
    { name: 'endpoint', env: 'STORAGE_ENDPOINT', description: 'S3 endpoint.' },
    { name: 'bucket', env: 'STORAGE_BUCKET', description: 'Main container.' },
    { name: 'buckets', env: 'STORAGE_BUCKETS', description: 'All containers, comma-separated.' },
    { name: 'accessKey', env: 'STORAGE_ACCESS_KEY', secret: true, description: 'S3 access key.' },
    { name: 'secretKey', env: 'STORAGE_SECRET_KEY', secret: true, description: 'S3 secret key.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const containers = c.containers.map(
      (suffix) =>
        new openstack.objectstorage.Container(`container-${suffix}`, {
          name: `${args.environment}-${suffix}`,
          region: c.region,
          versioning: c.versioning,
          storagePolicy: c.storagePolicy,
          forceDestroy: c.forceDestroy,
          // No containerRead ACL: nothing is readable without credentials.
          metadata: { 'strata-environment': args.environment },
        }),
    );
    const credential = new openstack.identity.Ec2CredentialV3('s3-credential', {
      region: c.region,
    });
    const main = containers[0];
    if (!main) throw new Error('storage: at least one container is required');
    return {
      endpoint: c.s3Endpoint,
      bucket: main.name,
      buckets: pulumi.all(containers.map((ct) => ct.name)).apply((names) => names.join(',')),
      accessKey: pulumi.secret(credential.access),
      secretKey: pulumi.secret(credential.secret),
    };
  },
});
