import * as openstack from '@pulumi/openstack';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Type } from '@sinclair/typebox';
import { hostAddress } from '../lib/cidr';
import { defineLayer, dependencyOutput } from '../lib/types';
import { postgresCloudInit } from '../lib/postgres-cloud-init';
import { POSTGRES_VM_LOGIN_FIELDS, POSTGRES_VM_LOGIN_OUTPUTS } from '../lib/postgres-vm-config';

// One reading of every string (no two ways to split the digits), so matching stays linear.
const FLAVOR = '^[a-z][a-z0-9]*-[0-9][a-z0-9-]*$';
const CRON = '^(\\S+\\s+){4}\\S+$';

export const openstackData = defineLayer({
  target: 'openstack',
  layer: 'data',
  description:
    "PostgreSQL on an OpenStack instance whose data directory is a persistent block-storage volume, reachable only from the private subnet, with a nightly pg_dump shipped to an object-storage container. (OVH's managed databases are not part of the OpenStack API, hence instance + volume.)",
  config: Type.Object(
    {
      flavor: Type.String({
        pattern: FLAVOR,
        default: 'd2-4',
        description: 'Instance flavor, e.g. d2-4, b2-7, b2-15, s1-8.',
      }),
      image: Type.String({ minLength: 1, default: 'Ubuntu 24.04', description: 'Image name.' }),
      volumeSize: Type.Integer({
        minimum: 10,
        maximum: 4000,
        default: 20,
        description: 'Data volume size, GB.',
      }),
      volumeType: Type.Union(
        [Type.Literal('classic'), Type.Literal('high-speed'), Type.Literal('high-speed-gen2')],
        {
          default: 'classic',
          description: 'Block storage class (OVH names).',
        },
      ),
      encrypted: Type.Boolean({
        default: false,
        description:
          'Encrypt the data volume at rest (OVH\'s "-luks" volume types, keys managed by OVHcloud; not offered in every region).',
      }),
      postgresVersion: Type.Union([Type.Literal('15'), Type.Literal('16'), Type.Literal('17')], {
        default: '17',
        description: 'PostgreSQL major version.',
      }),
      pgvector: Type.Boolean({
        default: true,
        description: 'Install and enable pgvector (vector knowledge base).',
      }),
      ...POSTGRES_VM_LOGIN_FIELDS,
      hostIndex: Type.Integer({
        minimum: 2,
        maximum: 250,
        default: 10,
        description: 'The instance gets this address of the subnet.',
      }),
      region: Type.Optional(
        Type.String({
          pattern: '^[A-Z]+[0-9]*$',
          description: "OpenStack region; default: the provider's.",
        }),
      ),
      backups: Type.Boolean({
        default: false,
        description: 'Nightly pg_dump to an object-storage container.',
      }),
      backupSchedule: Type.String({
        pattern: CRON,
        default: '15 3 * * *',
        description: 'cron schedule of the dump (UTC).',
      }),
      backupRetentionDays: Type.Integer({
        minimum: 1,
        maximum: 365,
        default: 7,
        description: 'Dumps older than this are deleted.',
      }),
      s3Endpoint: Type.String({
        pattern: '^https://',
        default: 'https://s3.gra.cloud.ovh.net',
        description: "S3 endpoint of the region's object storage, for the backup upload.",
      }),
      deletionProtection: Type.Boolean({
        default: false,
        description:
          'Pulumi-protect the instance and volume: a destroy fails until it is turned off.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    staging: { backups: true },
    prod: { flavor: 'b2-15', volumeSize: 100, volumeType: 'high-speed', backupRetentionDays: 14 },
  },
  enforced: { prod: { backups: true, deletionProtection: true, encrypted: true } },
  outputs: [
    { name: 'host', env: 'DB_HOST', description: 'Private address of the database instance.' },
    ...POSTGRES_VM_LOGIN_OUTPUTS,
    {
      name: 'backupContainer',
      env: 'DB_BACKUP_CONTAINER',
      description: 'Container holding the dumps (empty without backups).',
    },
  ],
  program: (args) => async () => {
    const c = args.config;
    const region = c.region;
    const networkId = dependencyOutput(args, 'network', 'networkId');
    const subnetId = dependencyOutput(args, 'network', 'subnetId');
    const cidr = dependencyOutput(args, 'network', 'cidr');
    const databaseGroup = dependencyOutput(args, 'network', 'databaseSecurityGroupId');
    const host = cidr.apply((range) => hostAddress(range, c.hostIndex));
    const name = `${args.environment}-db`;
    const protect = c.deletionProtection;
    const metadata = {
      'strata-environment': args.environment,
      'strata-protected': String(protect),
    };

    const password = new random.RandomPassword('db-password', { length: 32, special: false });
    const secretPassword = pulumi.secret(password.result);

    let backup: Parameters<typeof postgresCloudInit>[0]['backup'];
    let backupContainer: pulumi.Output<string> | string = '';
    if (c.backups) {
      const container = new openstack.objectstorage.Container(
        'db-backups',
        {
          name: `${name}-backups`,
          region,
          // Backups are never public and survive an accidental delete of the environment.
          forceDestroy: false,
          versioning: true,
        },
        { protect },
      );
      const credential = new openstack.identity.Ec2CredentialV3('db-backup-credential', { region });
      backup = {
        schedule: c.backupSchedule,
        retentionDays: c.backupRetentionDays,
        endpoint: c.s3Endpoint,
        bucket: container.name,
        accessKey: pulumi.secret(credential.access),
        secretKey: pulumi.secret(credential.secret),
      };
      backupContainer = container.name;
    }

    const volume = new openstack.blockstorage.Volume(
      'db-volume',
      {
        name: `${name}-data`,
        size: c.volumeSize,
        // OVH encrypts at rest by volume type: each class has a "-luks" twin.
        volumeType: c.encrypted ? `${c.volumeType}-luks` : c.volumeType,
        metadata,
        region,
      },
      { protect },
    );
    const port = new openstack.networking.Port('db-port', {
      name,
      networkId,
      fixedIps: [{ subnetId, ipAddress: host }],
      securityGroupIds: [databaseGroup],
      region,
    });
    const instance = new openstack.compute.Instance(
      'db-instance',
      {
        name,
        flavorName: c.flavor,
        imageName: c.image,
        networks: [{ port: port.id }],
        metadata,
        region,
        userData: postgresCloudInit({
          version: c.postgresVersion,
          database: c.databaseName,
          username: c.username,
          password: secretPassword,
          // Its only interface is the private port; the security group and pg_hba limit clients to the subnet.
          listenAddress: '0.0.0.0',
          allowedCidr: cidr,
          // Cinder volumes show up under the first 20 characters of their ID.
          device: pulumi.interpolate`/dev/disk/by-id/virtio-${volume.id.apply((id) => id.slice(0, 20))}`,
          pgvector: c.pgvector,
          backup,
        }),
      },
      { protect, ignoreChanges: ['userData'] },
    );
    new openstack.compute.VolumeAttach('db-volume-attach', {
      instanceId: instance.id,
      volumeId: volume.id,
      region,
    });

    return {
      host,
      port: 5432,
      database: c.databaseName,
      username: c.username,
      password: secretPassword,
      url: pulumi.secret(
        pulumi.interpolate`postgres://${c.username}:${password.result}@${host}:5432/${c.databaseName}`,
      ),
      backupContainer,
    };
  },
});
