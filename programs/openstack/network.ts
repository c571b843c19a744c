import * as openstack from '@pulumi/openstack';
import { Type } from '@sinclair/typebox';
import { ANY_CIDR, IPV4_CIDR, assertNoPublicDataPorts } from '../lib/cidr';
import { defineLayer } from '../lib/types';

const IngressRule = Type.Object(
  {
    description: Type.Optional(
      Type.String({ maxLength: 255, description: 'Why the rule exists.' }),
    ),
    protocol: Type.Union([Type.Literal('tcp'), Type.Literal('udp'), Type.Literal('icmp')], {
      default: 'tcp',
      description: 'IP protocol.',
    }),
    portMin: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'First port (tcp/udp).' }),
    ),
    portMax: Type.Optional(
      Type.Integer({ minimum: 1, maximum: 65535, description: 'Last port; defaults to portMin.' }),
    ),
    cidr: Type.String({
      pattern: ANY_CIDR,
      description: 'Source range. Database ports may not use 0.0.0.0/0 or ::/0.',
    }),
  },
  { additionalProperties: false },
);

export const openstackNetwork = defineLayer({
  target: 'openstack',
  layer: 'network',
  description:
    'OpenStack (OVH Public Cloud) private network and subnet, a router to the external network, and three security groups: internal (everything from the subnet), public (the ingress rule list) and database (PostgreSQL from the subnet only).',
  config: Type.Object(
    {
      cidr: Type.String({
        pattern: IPV4_CIDR,
        default: '10.10.0.0/24',
        description: 'Subnet range.',
      }),
      dnsNameservers: Type.Array(Type.String({ pattern: '^(\\d{1,3}\\.){3}\\d{1,3}$' }), {
        default: ['213.186.33.99'],
        maxItems: 5,
        description: "Resolvers handed out by DHCP (default: OVH's).",
      }),
      externalNetworkId: Type.Optional(
        Type.String({
          pattern: '^[0-9a-f-]{36}$',
          description:
            'ID of the external network the router uses ("Ext-Net" on OVH; `openstack network show Ext-Net -c id`). Unset: looked up by externalNetworkName at deploy time.',
        }),
      ),
      externalNetworkName: Type.String({
        minLength: 1,
        default: 'Ext-Net',
        description: 'Name of the external network.',
      }),
      region: Type.Optional(
        Type.String({
          pattern: '^[A-Z]+[0-9]*$',
          description: "OpenStack region, e.g. GRA11, SBG5, DE1; default: the provider's.",
        }),
      ),
      ingressRules: Type.Array(IngressRule, {
        default: [
          { protocol: 'tcp', portMin: 80, cidr: '0.0.0.0/0', description: 'HTTP' },
          { protocol: 'tcp', portMin: 443, cidr: '0.0.0.0/0', description: 'HTTPS' },
        ],
        maxItems: 50,
        description:
          'Rules of the public security group (instances with a floating IP). No SSH by default.',
      }),
    },
    { additionalProperties: false },
  ),
  outputs: [
    { name: 'networkId', env: 'OS_NETWORK_ID', description: 'Private network ID.' },
    { name: 'subnetId', env: 'OS_SUBNET_ID', description: 'Subnet ID.' },
    { name: 'cidr', env: 'OS_SUBNET_CIDR', description: 'Subnet range.' },
    { name: 'routerId', env: 'OS_ROUTER_ID', description: 'Router ID.' },
    {
      name: 'internalSecurityGroupId',
      env: 'OS_SG_INTERNAL',
      description: 'Security group: all traffic from the subnet.',
    },
    {
      name: 'publicSecurityGroupId',
      env: 'OS_SG_PUBLIC',
      description: 'Security group: the ingress rules.',
    },
    {
      name: 'databaseSecurityGroupId',
      env: 'OS_SG_DATABASE',
      description: 'Security group: PostgreSQL from the subnet.',
    },
    { name: 'externalNetworkName', env: 'OS_EXTERNAL_NETWORK', description: 'Floating IP pool.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    assertNoPublicDataPorts(
      c.ingressRules.map((r, i) => ({
        label: `ingressRules[${i}]`,
        protocol: r.protocol,
        ports: r.portMin === undefined ? undefined : `${r.portMin}-${r.portMax ?? r.portMin}`,
        sources: [r.cidr],
      })),
    );
    const region = c.region;
    const name = args.environment;
    const network = new openstack.networking.Network('network', {
      name,
      adminStateUp: true,
      region,
      tags: [`strata:${args.environment}`],
    });
    const subnet = new openstack.networking.Subnet('subnet', {
      name,
      networkId: network.id,
      cidr: c.cidr,
      ipVersion: 4,
      enableDhcp: true,
      dnsNameservers: c.dnsNameservers,
      region,
    });
    const externalNetworkId =
      c.externalNetworkId ??
      openstack.networking.getNetworkOutput({ name: c.externalNetworkName, external: true, region })
        .id;
    const router = new openstack.networking.Router('router', {
      name,
      adminStateUp: true,
      externalNetworkId,
      region,
    });
    new openstack.networking.RouterInterface('router-interface', {
      routerId: router.id,
      subnetId: subnet.id,
      region,
    });

    const group = (key: string, description: string) =>
      new openstack.networking.SecGroup(`sg-${key}`, {
        name: `${name}-${key}`,
        description,
        region,
      });
    const rule = (
      key: string,
      securityGroupId: openstack.networking.SecGroup['id'],
      r: {
        protocol: string;
        portMin?: number;
        portMax?: number;
        cidr: string;
        description?: string;
      },
    ) =>
      new openstack.networking.SecGroupRule(key, {
        securityGroupId,
        direction: 'ingress',
        ethertype: r.cidr.includes(':') ? 'IPv6' : 'IPv4',
        protocol: r.protocol,
        portRangeMin: r.protocol === 'icmp' ? undefined : r.portMin,
        portRangeMax: r.protocol === 'icmp' ? undefined : (r.portMax ?? r.portMin),
        remoteIpPrefix: r.cidr,
        description: r.description,
        region,
      });

    const internal = group('internal', 'All traffic between instances of the private subnet');
    for (const protocol of ['tcp', 'udp', 'icmp']) {
      rule(`sg-internal-${protocol}`, internal.id, {
        protocol,
        portMin: protocol === 'icmp' ? undefined : 1,
        portMax: protocol === 'icmp' ? undefined : 65535,
        cidr: c.cidr,
        description: 'private subnet',
      });
    }
    const publicGroup = group('public', 'Ingress from outside (instances with a floating IP)');
    c.ingressRules.forEach((r, i) => rule(`sg-public-${i}`, publicGroup.id, r));
    const database = group('database', 'PostgreSQL from the private subnet only');
    rule('sg-database-postgres', database.id, {
      protocol: 'tcp',
      portMin: 5432,
      cidr: c.cidr,
      description: 'PostgreSQL from the private subnet',
    });

    return {
      networkId: network.id,
      subnetId: subnet.id,
      cidr: c.cidr,
      routerId: router.id,
      internalSecurityGroupId: internal.id,
      publicSecurityGroupId: publicGroup.id,
      databaseSecurityGroupId: database.id,
      externalNetworkName: c.externalNetworkName,
    };
  },
});
