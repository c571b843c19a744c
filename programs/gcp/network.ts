import * as gcp from '@pulumi/gcp';
import { Type } from '@sinclair/typebox';
import { ANY_CIDR, IPV4_CIDR, assertNoPublicDataPorts } from '../lib/cidr';
import { defineLayer } from '../lib/types';
import { gcpCommon, gcpName } from './common';

const FirewallRule = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,30}$',
      description: 'Rule name (prefixed with the environment).',
    }),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('icmp')], {
      default: 'tcp',
      description: 'IP protocol.',
    }),
    ports: Type.Array(Type.String({ pattern: '^\\d{1,5}(-\\d{1,5})?$' }), {
      default: [],
      description: 'Ports or ranges; empty: all.',
    }),
    sourceRanges: Type.Array(Type.String({ pattern: ANY_CIDR }), {
      minItems: 1,
      description: 'Source CIDRs. Database ports may not use 0.0.0.0/0 or ::/0.',
    }),
    targetTags: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]*$' }), {
      default: [],
      description: 'Instances the rule applies to; empty: all.',
    }),
  },
  { additionalProperties: false },
);

export const gcpNetwork = defineLayer({
  target: 'gcp',
  layer: 'network',
  description:
    'GCP VPC in custom-subnet mode, regional subnetworks with Private Google Access and flow logs, firewall rules from a list (plus internal traffic and Google health checks), and private services access so Cloud SQL gets a private address.',
  config: Type.Object(
    {
      ...gcpCommon,
      subnets: Type.Array(
        Type.Object(
          {
            name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,30}$', description: 'Subnet name.' }),
            cidr: Type.String({ pattern: IPV4_CIDR, description: 'Primary range.' }),
          },
          { additionalProperties: false },
        ),
        {
          default: [{ name: 'main', cidr: '10.20.0.0/20' }],
          minItems: 1,
          maxItems: 10,
          description: 'Subnetworks in the region; the first is the main one.',
        },
      ),
      firewallRules: Type.Array(FirewallRule, {
        default: [
          {
            name: 'web',
            protocol: 'tcp',
            ports: ['80', '443'],
            sourceRanges: ['0.0.0.0/0'],
            targetTags: ['web'],
          },
        ],
        maxItems: 50,
        description: 'Ingress allow rules.',
      }),
      privateServiceRange: Type.Integer({
        minimum: 16,
        maximum: 24,
        default: 20,
        description: 'Prefix length reserved for private services (Cloud SQL private IP).',
      }),
      flowLogs: Type.Boolean({ default: false, description: 'VPC flow logs on the subnetworks.' }),
    },
    { additionalProperties: false },
  ),
  presets: { prod: { flowLogs: true } },
  outputs: [
    { name: 'networkId', env: 'GCP_NETWORK', description: 'VPC self link.' },
    { name: 'networkName', env: 'GCP_NETWORK_NAME', description: 'VPC name.' },
    { name: 'subnetId', env: 'GCP_SUBNETWORK', description: 'Main subnetwork self link.' },
    {
      name: 'subnetCidrs',
      env: 'GCP_SUBNET_CIDRS',
      description: 'Subnet ranges, comma-separated.',
    },
    { name: 'region', env: 'GCP_REGION', description: 'Region.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    assertNoPublicDataPorts(
      c.firewallRules.flatMap((r, i) =>
        (r.ports.length > 0 ? r.ports : [undefined]).map((ports) => ({
          label: `firewallRules[${i}]`,
          protocol: r.protocol,
          ports,
          sources: r.sourceRanges,
        })),
      ),
    );
    const project = c.project;
    const network = new gcp.compute.Network('vpc', {
      name: gcpName(args.environment),
      autoCreateSubnetworks: false,
      routingMode: 'REGIONAL',
      project,
    });
    const subnets = c.subnets.map(
      (s) =>
        new gcp.compute.Subnetwork(`subnet-${s.name}`, {
          name: gcpName(args.environment, s.name),
          network: network.id,
          region: c.region,
          ipCidrRange: s.cidr,
          privateIpGoogleAccess: true,
          logConfig: c.flowLogs
            ? { aggregationInterval: 'INTERVAL_5_SEC', flowSampling: 0.5 }
            : undefined,
          project,
        }),
    );
    const cidrs = c.subnets.map((s) => s.cidr);
    new gcp.compute.Firewall('allow-internal', {
      name: gcpName(args.environment, 'internal'),
      network: network.id,
      direction: 'INGRESS',
      allows: [{ protocol: 'tcp' }, { protocol: 'udp' }, { protocol: 'icmp' }],
      sourceRanges: cidrs,
      project,
    });
    new gcp.compute.Firewall('allow-health-checks', {
      name: gcpName(args.environment, 'health-checks'),
      network: network.id,
      direction: 'INGRESS',
      allows: [{ protocol: 'tcp' }],
      // Google's load balancer and health check ranges.
      sourceRanges: ['35.191.0.0/16', '130.211.0.0/22'],
      project,
    });
    for (const rule of c.firewallRules) {
      new gcp.compute.Firewall(`rule-${rule.name}`, {
        name: gcpName(args.environment, rule.name),
        network: network.id,
        direction: 'INGRESS',
        allows: [
          { protocol: rule.protocol, ports: rule.protocol === 'icmp' ? undefined : rule.ports },
        ],
        sourceRanges: rule.sourceRanges,
        targetTags: rule.targetTags.length > 0 ? rule.targetTags : undefined,
        project,
      });
    }
    const peeringRange = new gcp.compute.GlobalAddress('private-services', {
      name: gcpName(args.environment, 'private-services'),
      purpose: 'VPC_PEERING',
      addressType: 'INTERNAL',
      prefixLength: c.privateServiceRange,
      network: network.id,
      project,
    });
    new gcp.servicenetworking.Connection('private-services', {
      network: network.id,
      service: 'servicenetworking.googleapis.com',
      reservedPeeringRanges: [peeringRange.name],
    });
    const main = subnets[0];
    if (!main) throw new Error('network: at least one subnet is required');
    return {
      networkId: network.id,
      networkName: network.name,
      subnetId: main.id,
      subnetCidrs: cidrs.join(','),
      region: c.region,
    };
  },
});
