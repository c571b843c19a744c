import * as openstack from '@pulumi/openstack';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { hostAddress } from '../lib/cidr';
import { defineLayer, dependencyOutput } from '../lib/types';

// One reading of every string (no two ways to split the digits), so matching stays linear.
const FLAVOR = '^[a-z][a-z0-9]*-[0-9][a-z0-9-]*$';

const InstanceGroup = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,30}$',
      description: 'Role of the instances, e.g. core, xpipe.',
    }),
    flavor: Type.String({
      pattern: FLAVOR,
      default: 's1-4',
      description: 'Flavor, e.g. s1-4, s1-8, b2-7.',
    }),
    count: Type.Integer({
      minimum: 1,
      maximum: 10,
      default: 1,
      description: 'How many instances of this role.',
    }),
    floatingIp: Type.Boolean({
      default: false,
      description: 'Public floating IP and the public security group (the API entry point).',
    }),
    servicePort: Type.Optional(
      Type.Integer({
        minimum: 1,
        maximum: 65535,
        description: 'Port the role serves on the private network.',
      }),
    ),
  },
  { additionalProperties: false },
);

export const openstackCompute = defineLayer({
  target: 'openstack',
  layer: 'compute',
  description:
    'OpenStack instances by role and flavor on the private network (fixed addresses, Docker through cloud-init), with a floating IP for the roles that face the internet.',
  config: Type.Object(
    {
      instances: Type.Array(InstanceGroup, {
        default: [{ name: 'app', flavor: 's1-4', count: 1, floatingIp: true }],
        minItems: 1,
        maxItems: 10,
        description: 'Instance roles.',
      }),
      image: Type.String({ minLength: 1, default: 'Ubuntu 24.04', description: 'Image name.' }),
      keyPair: Type.Optional(Type.String({ minLength: 1, description: 'Nova key pair for SSH.' })),
      firstHostIndex: Type.Integer({
        minimum: 2,
        maximum: 200,
        default: 20,
        description: 'Instances get consecutive subnet addresses from this one.',
      }),
      serviceInstance: Type.Optional(
        Type.String({
          pattern: '^[a-z][a-z0-9-]{0,30}$',
          description: 'Role whose first instance and servicePort become serviceHost/servicePort.',
        }),
      ),
      region: Type.Optional(
        Type.String({
          pattern: '^[A-Z]+[0-9]*$',
          description: "OpenStack region; default: the provider's.",
        }),
      ),
      antiAffinity: Type.Boolean({
        default: false,
        description: 'Spread instances of one role over hypervisors (soft anti-affinity).',
      }),
    },
    { additionalProperties: false },
  ),
  presets: { prod: { antiAffinity: true } },
  outputs: [
    { name: 'publicIp', env: 'COMPUTE_PUBLIC_IP', description: 'First floating IP (the API).' },
    {
      name: 'privateIps',
      env: 'COMPUTE_PRIVATE_IPS',
      description: 'role=address pairs, comma-separated.',
    },
    {
      name: 'serviceHost',
      env: 'SERVICE_HOST',
      description: 'Private address of serviceInstance.',
    },
    { name: 'servicePort', env: 'SERVICE_PORT', description: 'servicePort of serviceInstance.' },
  ],
  check: (c) =>
    c.serviceInstance && !c.instances.some((g) => g.name === c.serviceInstance)
      ? [
          `layers.compute.config.serviceInstance: "${c.serviceInstance}" is not one of the instances`,
        ]
      : [],
  program: (args) => async () => {
    const c = args.config;
    const region = c.region;
    const networkId = dependencyOutput(args, 'network', 'networkId');
    const subnetId = dependencyOutput(args, 'network', 'subnetId');
    const cidr = dependencyOutput(args, 'network', 'cidr');
    const internal = dependencyOutput(args, 'network', 'internalSecurityGroupId');
    const publicGroup = dependencyOutput(args, 'network', 'publicSecurityGroupId');
    const pool = dependencyOutput(args, 'network', 'externalNetworkName');
    const userData = [
      '#cloud-config',
      'package_update: true',
      'packages:',
      '  - docker.io',
      'runcmd:',
      '  - systemctl enable --now docker',
      '',
    ].join('\n');

    const hosts: { role: string; address: pulumi.Output<string> }[] = [];
    const floatingIps: pulumi.Output<string>[] = [];
    let index = c.firstHostIndex;
    for (const group of c.instances) {
      const serverGroup =
        c.antiAffinity && group.count > 1
          ? new openstack.compute.ServerGroup(`${group.name}-group`, {
              name: `${args.environment}-${group.name}`,
              policies: ['soft-anti-affinity'],
              region,
            })
          : undefined;
      for (let i = 0; i < group.count; i++) {
        const name = group.count > 1 ? `${group.name}-${i}` : group.name;
        const hostIndex = index++;
        const address = cidr.apply((range) => hostAddress(range, hostIndex));
        const port = new openstack.networking.Port(`${name}-port`, {
          name: `${args.environment}-${name}`,
          networkId,
          fixedIps: [{ subnetId, ipAddress: address }],
          securityGroupIds: group.floatingIp ? [internal, publicGroup] : [internal],
          region,
        });
        new openstack.compute.Instance(
          name,
          {
            name: `${args.environment}-${name}`,
            flavorName: group.flavor,
            imageName: c.image,
            keyPair: c.keyPair,
            networks: [{ port: port.id }],
            userData,
            schedulerHints: serverGroup ? [{ group: serverGroup.id }] : undefined,
            metadata: { 'strata-environment': args.environment, 'strata-role': group.name },
            region,
          },
          { ignoreChanges: ['userData'] },
        );
        if (group.floatingIp) {
          const fip = new openstack.networking.FloatingIp(`${name}-fip`, {
            pool,
            description: `${args.environment} ${name}`,
            region,
          });
          new openstack.networking.FloatingIpAssociate(`${name}-fip-assoc`, {
            floatingIp: fip.address,
            portId: port.id,
            region,
          });
          floatingIps.push(fip.address);
        }
        hosts.push({ role: name, address });
      }
    }
    const service = c.serviceInstance
      ? c.instances.find((g) => g.name === c.serviceInstance)
      : undefined;
    if (c.serviceInstance && !service) {
      throw new Error(
        `compute: serviceInstance "${c.serviceInstance}" is not one of the instances`,
      );
    }
    const serviceHost = service
      ? hosts.find((h) => h.role === service.name || h.role === `${service.name}-0`)?.address
      : undefined;
    return {
      publicIp: floatingIps[0] ?? '',
      privateIps: pulumi
        .all(hosts.map((h) => h.address))
        .apply((addresses) => addresses.map((a, i) => `${hosts[i]?.role}=${a}`).join(',')),
      serviceHost: serviceHost ?? '',
      servicePort: service?.servicePort ?? '',
    };
  },
});
