import * as hcloud from '@pulumi/hcloud';
import { Type } from '@sinclair/typebox';
import { defineLayer } from '../lib/types';
import { ANY_CIDR, IPV4_CIDR, assertNoPublicDataPorts } from '../lib/cidr';
import { hcloudId, joinOutputs } from '../lib/ids';

export const HCLOUD_LOCATIONS = ['fsn1', 'nbg1', 'hel1', 'ash', 'hil', 'sin'] as const;

const FirewallRule = Type.Object(
  {
    description: Type.Optional(
      Type.String({ maxLength: 255, description: 'Shown in the Hetzner console.' }),
    ),
    direction: Type.Union([Type.Literal('in'), Type.Literal('out')], {
      default: 'in',
      description: 'in: traffic to the servers; out: traffic from them.',
    }),
    protocol: Type.Union(
      [
        Type.Literal('tcp'),
        Type.Literal('udp'),
        Type.Literal('icmp'),
        Type.Literal('gre'),
        Type.Literal('esp'),
      ],
      { description: 'IP protocol.' },
    ),
    port: Type.Optional(
      Type.String({
        pattern: '^(\\d{1,5}(-\\d{1,5})?|any)$',
        description: 'Port or range ("443", "8000-8100", "any"); tcp and udp only.',
      }),
    ),
    sourceIps: Type.Array(Type.String({ pattern: ANY_CIDR }), {
      default: [],
      description: 'CIDRs allowed in (direction in). Database ports may not use 0.0.0.0/0 or ::/0.',
    }),
    destinationIps: Type.Array(Type.String({ pattern: ANY_CIDR }), {
      default: [],
      description: 'CIDRs allowed out (direction out).',
    }),
  },
  { additionalProperties: false },
);

const WORLD = ['0.0.0.0/0', '::/0'];

export const hcloudNetwork = defineLayer({
  target: 'hcloud',
  layer: 'network',
  description:
    'Hetzner Cloud private network with one cloud subnet, a firewall built from a rule list, and optional primary IPv4 addresses that outlive servers (stable DNS targets).',
  config: Type.Object(
    {
      ipRange: Type.String({
        pattern: IPV4_CIDR,
        default: '10.0.0.0/16',
        description: 'Private network range (RFC 1918).',
      }),
      subnetRange: Type.String({
        pattern: IPV4_CIDR,
        default: '10.0.1.0/24',
        description: 'Subnet the servers join; must lie inside ipRange.',
      }),
      networkZone: Type.Union(
        [
          Type.Literal('eu-central'),
          Type.Literal('us-east'),
          Type.Literal('us-west'),
          Type.Literal('ap-southeast'),
        ],
        {
          default: 'eu-central',
          description: "Network zone of the subnet; must contain the servers' location.",
        },
      ),
      location: Type.Union(
        HCLOUD_LOCATIONS.map((l) => Type.Literal(l)),
        { default: 'fsn1', description: 'Location of the primary IPs.' },
      ),
      firewallRules: Type.Array(FirewallRule, {
        default: [
          {
            direction: 'in',
            protocol: 'tcp',
            port: '80',
            sourceIps: WORLD,
            destinationIps: [],
            description: 'HTTP',
          },
          {
            direction: 'in',
            protocol: 'tcp',
            port: '443',
            sourceIps: WORLD,
            destinationIps: [],
            description: 'HTTPS',
          },
          {
            direction: 'in',
            protocol: 'icmp',
            sourceIps: WORLD,
            destinationIps: [],
            description: 'ping',
          },
        ],
        maxItems: 50,
        description:
          "Inbound/outbound rules of the firewall on the servers' public interfaces (private network traffic is not filtered by Hetzner firewalls). No SSH by default.",
      }),
      primaryIps: Type.Integer({
        minimum: 0,
        maximum: 10,
        default: 0,
        description:
          'Primary IPv4 addresses to reserve; the compute layer gives them to its servers in order.',
      }),
      deleteProtection: Type.Boolean({
        default: false,
        description: 'Hetzner delete protection on the network and primary IPs.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { primaryIps: 0 },
    prod: { deleteProtection: true },
  },
  enforced: { prod: { deleteProtection: true } },
  outputs: [
    { name: 'networkId', env: 'HCLOUD_NETWORK_ID', description: 'ID of the private network.' },
    { name: 'subnetId', env: 'HCLOUD_SUBNET_ID', description: 'ID of the subnet.' },
    { name: 'subnetRange', env: 'HCLOUD_SUBNET_RANGE', description: 'CIDR of the subnet.' },
    { name: 'firewallId', env: 'HCLOUD_FIREWALL_ID', description: 'ID of the firewall.' },
    { name: 'location', env: 'HCLOUD_LOCATION', description: 'Location of the primary IPs.' },
    {
      name: 'primaryIpIds',
      env: 'HCLOUD_PRIMARY_IP_IDS',
      description: 'Comma-separated IDs of the reserved primary IPv4 addresses.',
    },
    {
      name: 'ingressIps',
      env: 'HCLOUD_INGRESS_IPS',
      description: 'Comma-separated reserved IPv4 addresses (DNS targets).',
    },
    {
      name: 'ingressCount',
      env: 'HCLOUD_INGRESS_COUNT',
      description: 'How many reserved addresses there are (known before the addresses are).',
    },
  ],
  program: (args) => async () => {
    const c = args.config;
    assertNoPublicDataPorts(
      c.firewallRules
        .filter((r) => r.direction === 'in')
        .map((r, i) => ({
          label: `firewallRules[${i}]`,
          protocol: r.protocol,
          ports: r.port,
          sources: r.sourceIps,
        })),
    );
    const name = `${args.environment}`;
    const labels = { 'strata-environment': args.environment, 'strata-layer': 'network' };
    const network = new hcloud.Network('network', {
      name,
      ipRange: c.ipRange,
      labels,
      deleteProtection: c.deleteProtection,
    });
    const subnet = new hcloud.NetworkSubnet('subnet', {
      networkId: hcloudId(network.id),
      type: 'cloud',
      networkZone: c.networkZone,
      ipRange: c.subnetRange,
    });
    const firewall = new hcloud.Firewall('firewall', {
      name,
      labels,
      rules: c.firewallRules.map((r) => ({
        description: r.description,
        direction: r.direction,
        protocol: r.protocol,
        port: r.protocol === 'tcp' || r.protocol === 'udp' ? (r.port ?? 'any') : undefined,
        sourceIps: r.direction === 'in' ? r.sourceIps : undefined,
        destinationIps: r.direction === 'out' ? r.destinationIps : undefined,
      })),
    });
    const ips = Array.from(
      { length: c.primaryIps },
      (_, i) =>
        new hcloud.PrimaryIp(`ingress-${i}`, {
          name: `${name}-ingress-${i}`,
          type: 'ipv4',
          location: c.location,
          assigneeType: 'server',
          // Kept when a server is replaced: DNS keeps pointing at the same address.
          autoDelete: false,
          deleteProtection: c.deleteProtection,
          labels,
        }),
    );
    return {
      networkId: network.id,
      subnetId: subnet.id,
      subnetRange: c.subnetRange,
      firewallId: firewall.id,
      location: c.location,
      primaryIpIds: joinOutputs(ips.map((ip) => ip.id)),
      ingressIps: joinOutputs(ips.map((ip) => ip.ipAddress)),
      ingressCount: ips.length,
    };
  },
});
