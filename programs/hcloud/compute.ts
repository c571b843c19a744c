import * as hcloud from '@pulumi/hcloud';
import { Type } from '@sinclair/typebox';
import { HcloudNode } from '../components/hcloud-node';
import { defineLayer, dependencyOutput, optionalDependencyOutput } from '../lib/types';
import { hostAddress } from '../lib/cidr';
import { hcloudId, hcloudNumber, joinOutputs, splitList } from '../lib/ids';
import { HCLOUD_LOCATIONS } from './network';

/** Docker from Ubuntu's archive: the seed's cluster (Docker Swarm) is joined later by Ansible. */
function nodeUserData(installDocker: boolean, extraPackages: string[]): string {
  const packages = [...(installDocker ? ['docker.io'] : []), ...extraPackages];
  return [
    '#cloud-config',
    'package_update: true',
    packages.length > 0 ? `packages:\n${packages.map((p) => `  - ${p}`).join('\n')}` : '',
    installDocker ? 'runcmd:\n  - systemctl enable --now docker' : '',
  ]
    .filter(Boolean)
    .join('\n')
    .concat('\n');
}

export const hcloudCompute = defineLayer({
  target: 'hcloud',
  layer: 'compute',
  description:
    "N Hetzner servers in a spread placement group (no two on one host), each with its own volume, cloud-init, a fixed address on the private network and the network layer's firewall.",
  config: Type.Object(
    {
      nodeCount: Type.Integer({
        minimum: 1,
        maximum: 10,
        default: 1,
        description: 'Number of servers (a spread placement group holds at most 10).',
      }),
      serverType: Type.String({
        pattern: '^[a-z]+[0-9]+[a-z]*$',
        default: 'cx22',
        description: 'Hetzner server type, e.g. cx22, cx32, cpx31, ccx23.',
      }),
      image: Type.String({ minLength: 1, default: 'ubuntu-24.04', description: 'Image name.' }),
      location: Type.Union(
        HCLOUD_LOCATIONS.map((l) => Type.Literal(l)),
        { default: 'fsn1', description: 'Location of the servers and volumes.' },
      ),
      volumeSize: Type.Integer({
        minimum: 10,
        maximum: 10240,
        default: 20,
        description: "Size of each server's volume, GB.",
      }),
      firstHostIndex: Type.Integer({
        minimum: 2,
        maximum: 200,
        default: 10,
        description: 'Server i gets the (firstHostIndex + i)-th address of the subnet.',
      }),
      installDocker: Type.Boolean({
        default: true,
        description: 'Install and start Docker through cloud-init.',
      }),
      packages: Type.Array(Type.String({ pattern: '^[a-z0-9][a-z0-9.+-]*$' }), {
        default: [],
        maxItems: 50,
        description: 'Extra apt packages.',
      }),
      sshKeys: Type.Array(Type.String({ minLength: 1 }), {
        default: [],
        description: 'Names or IDs of Hetzner SSH keys to install.',
      }),
      publicIpv4: Type.Boolean({
        default: true,
        description: "Give servers a public IPv4 (the network layer's primary IPs first).",
      }),
      backups: Type.Boolean({
        default: false,
        description: 'Hetzner daily server backups (7 kept, +20% price).',
      }),
      deleteProtection: Type.Boolean({
        default: false,
        description: 'Delete and rebuild protection on servers and volumes.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { nodeCount: 1, serverType: 'cx22' },
    staging: { nodeCount: 3, serverType: 'cx22' },
    prod: { nodeCount: 3, serverType: 'cx32', volumeSize: 50, backups: true },
  },
  enforced: { prod: { deleteProtection: true } },
  outputs: [
    {
      name: 'privateIps',
      env: 'COMPUTE_PRIVATE_IPS',
      description: 'Comma-separated private addresses of the servers.',
    },
    {
      name: 'publicIps',
      env: 'COMPUTE_PUBLIC_IPS',
      description: 'Comma-separated public IPv4 addresses.',
    },
    { name: 'serverNames', env: 'COMPUTE_SERVERS', description: 'Comma-separated server names.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const networkId = hcloudId(dependencyOutput(args, 'network', 'networkId'));
    const subnetRange = dependencyOutput(args, 'network', 'subnetRange');
    const firewallId = optionalDependencyOutput(args, 'network', 'firewallId');
    const primaryIpIds = optionalDependencyOutput(args, 'network', 'primaryIpIds');
    const labels = { 'strata-environment': args.environment, 'strata-layer': 'compute' };
    const placement = new hcloud.PlacementGroup('spread', {
      name: `${args.environment}-compute`,
      type: 'spread',
      labels,
    });
    const userData = nodeUserData(c.installDocker, c.packages);
    const nodes = Array.from({ length: c.nodeCount }, (_, i) => {
      const primaryIpId = primaryIpIds?.apply((ids) => {
        const id = splitList(ids)[i];
        return id ? hcloudNumber(id) : undefined;
      });
      return new HcloudNode(`node-${i}`, {
        serverName: `${args.environment}-node-${i}`,
        serverType: c.serverType,
        image: c.image,
        location: c.location,
        placementGroupId: hcloudId(placement.id),
        networkId,
        privateIp: subnetRange.apply((range) => hostAddress(range, c.firstHostIndex + i)),
        firewallIds: firewallId ? [hcloudId(firewallId)] : [],
        publicIpv4: c.publicIpv4,
        primaryIpId,
        userData,
        sshKeys: c.sshKeys,
        volumeSize: c.volumeSize,
        backups: c.backups,
        deleteProtection: c.deleteProtection,
        labels,
      });
    });
    return {
      privateIps: joinOutputs(nodes.map((n) => n.privateIp)),
      publicIps: joinOutputs(nodes.map((n) => n.server.ipv4Address)),
      serverNames: joinOutputs(nodes.map((n) => n.server.name)),
    };
  },
});
