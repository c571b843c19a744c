import * as hcloud from '@pulumi/hcloud';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Type } from '@sinclair/typebox';
import { HcloudNode } from '../components/hcloud-node';
import { postgresCloudInit } from '../lib/postgres-cloud-init';
import { POSTGRES_VM_LOGIN_FIELDS, POSTGRES_VM_LOGIN_OUTPUTS } from '../lib/postgres-vm-config';
import { defineLayer, dependencyOutput } from '../lib/types';
import { IPV4, hostAddress } from '../lib/cidr';
import { hcloudId } from '../lib/ids';
import { HCLOUD_LOCATIONS } from './network';

export const POSTGRES_VERSIONS = ['15', '16', '17'] as const;

export const hcloudData = defineLayer({
  target: 'hcloud',
  layer: 'data',
  description:
    "PostgreSQL on a Hetzner server, data directory on a volume, reachable only over the private network (the server's firewall admits nothing on its public interface; PostgreSQL listens on the private address).",
  config: Type.Object(
    {
      serverType: Type.String({
        pattern: '^[a-z]+[0-9]+[a-z]*$',
        default: 'cx22',
        description: 'Hetzner server type.',
      }),
      image: Type.String({
        minLength: 1,
        default: 'ubuntu-24.04',
        description: 'Image name (Debian/Ubuntu: PostgreSQL comes from apt.postgresql.org).',
      }),
      location: Type.Union(
        HCLOUD_LOCATIONS.map((l) => Type.Literal(l)),
        { default: 'fsn1', description: 'Location of the server and volume.' },
      ),
      volumeSize: Type.Integer({
        minimum: 10,
        maximum: 10240,
        default: 20,
        description: 'Data volume size, GB.',
      }),
      postgresVersion: Type.Union(
        POSTGRES_VERSIONS.map((v) => Type.Literal(v)),
        { default: '17', description: 'PostgreSQL major version (supported releases only).' },
      ),
      pgvector: Type.Boolean({
        default: false,
        description: 'Install and enable the pgvector extension.',
      }),
      ...POSTGRES_VM_LOGIN_FIELDS,
      hostIndex: Type.Integer({
        minimum: 2,
        maximum: 250,
        default: 5,
        description: 'The server gets this address of the subnet (e.g. 5 -> 10.0.1.5).',
      }),
      privateIp: Type.Optional(
        Type.String({ pattern: IPV4, description: 'Fixed private address instead of hostIndex.' }),
      ),
      backups: Type.Boolean({
        default: false,
        description:
          'Hetzner daily server backups (whole server and volume snapshots are separate; 7 kept).',
      }),
      deleteProtection: Type.Boolean({
        default: false,
        description: 'Delete and rebuild protection on the server and its volume.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    prod: { serverType: 'cx32', volumeSize: 50 },
  },
  enforced: { prod: { deleteProtection: true, backups: true } },
  outputs: [
    { name: 'host', env: 'DB_HOST', description: 'Private address of the database server.' },
    ...POSTGRES_VM_LOGIN_OUTPUTS,
  ],
  program: (args) => async () => {
    const c = args.config;
    const networkId = hcloudId(dependencyOutput(args, 'network', 'networkId'));
    const subnetRange = dependencyOutput(args, 'network', 'subnetRange');
    const host = subnetRange.apply((range) => c.privateIp ?? hostAddress(range, c.hostIndex));
    const labels = { 'strata-environment': args.environment, 'strata-layer': 'data' };
    const password = new random.RandomPassword('db-password', { length: 32, special: false });
    const secretPassword = pulumi.secret(password.result);
    // No inbound rule at all: the public interface only serves outbound package installs.
    const firewall = new hcloud.Firewall('db-firewall', {
      name: `${args.environment}-db`,
      labels,
      rules: [],
    });
    const node = new HcloudNode('db', {
      serverName: `${args.environment}-db`,
      serverType: c.serverType,
      image: c.image,
      location: c.location,
      networkId,
      privateIp: host,
      firewallIds: [hcloudId(firewall.id)],
      publicIpv4: true,
      userData: (volume) =>
        host.apply((listen) =>
          postgresCloudInit({
            version: c.postgresVersion,
            database: c.databaseName,
            username: c.username,
            password: secretPassword,
            listenAddress: listen,
            allowedCidr: subnetRange,
            device: pulumi.interpolate`/dev/disk/by-id/scsi-0HC_Volume_${volume.id}`,
            pgvector: c.pgvector,
          }),
        ),
      sshKeys: [],
      volumeSize: c.volumeSize,
      automount: false,
      backups: c.backups,
      deleteProtection: c.deleteProtection,
      labels,
    });
    return {
      host: node.privateIp,
      port: 5432,
      database: c.databaseName,
      username: c.username,
      password: secretPassword,
      url: pulumi.secret(
        pulumi.interpolate`postgres://${c.username}:${password.result}@${node.privateIp}:5432/${c.databaseName}`,
      ),
    };
  },
});
