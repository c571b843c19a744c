import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AwsPrivateBucket } from './aws-private-bucket';

export interface AwsVpcArgs {
  cidrBlock: string;
  availabilityZones: string[];
  natGateways: 'single' | 'perAz';
  flowLogs: boolean;
  flowLogRetentionDays: number;
  forceDestroyLogs: boolean;
}

function ipToInt(ip: string): number {
  return ip.split('.').reduce((acc, octet) => acc * 256 + Number(octet), 0);
}

function intToIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/**
 * The `index`-th /24 inside a VPC block. Tiers sit at fixed offsets (public 1+, private 11+,
 * database 21+) as in seed 004's layout, so a subnet keeps its CIDR when azCount grows.
 */
export function subnetCidr(vpcCidr: string, index: number): string {
  const [address = '', prefixText = ''] = vpcCidr.split('/');
  const prefix = Number(prefixText);
  const slots = 2 ** (24 - prefix);
  if (index >= slots) {
    throw new Error(`subnet ${index} does not fit in ${vpcCidr} (${slots} /24 subnets)`);
  }
  const size = 2 ** (32 - prefix);
  const base = ipToInt(address) - (ipToInt(address) % size);
  return `${intToIp(base + index * 256)}/24`;
}

export const SUBNET_OFFSETS = { public: 1, private: 11, database: 21 } as const;

/**
 * A VPC in three tiers over N AZs: public subnets (internet gateway, the load balancers and
 * NATs), private subnets (workloads, out through NAT), database subnets (no route out at all).
 */
export class AwsVpc extends pulumi.ComponentResource {
  readonly vpc: aws.ec2.Vpc;
  readonly publicSubnets: aws.ec2.Subnet[];
  readonly privateSubnets: aws.ec2.Subnet[];
  readonly databaseSubnets: aws.ec2.Subnet[];
  readonly natGateways: aws.ec2.NatGateway[];
  readonly flowLogBucket?: AwsPrivateBucket;

  constructor(name: string, args: AwsVpcArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:Vpc', name, {}, opts);
    const parent = { parent: this };
    const zones = args.availabilityZones;

    this.vpc = new aws.ec2.Vpc(
      name,
      {
        cidrBlock: args.cidrBlock,
        enableDnsHostnames: true,
        enableDnsSupport: true,
        tags: { Name: name },
      },
      parent,
    );
    const igw = new aws.ec2.InternetGateway(
      name,
      { vpcId: this.vpc.id, tags: { Name: name } },
      parent,
    );

    const subnet = (tier: keyof typeof SUBNET_OFFSETS, zone: string, i: number) =>
      new aws.ec2.Subnet(
        `${name}-${tier}-${i}`,
        {
          vpcId: this.vpc.id,
          availabilityZone: zone,
          cidrBlock: subnetCidr(args.cidrBlock, SUBNET_OFFSETS[tier] + i),
          mapPublicIpOnLaunch: false,
          tags: {
            Name: `${name}-${tier}-${zone}`,
            'strata:tier': tier,
            // Lets the AWS Load Balancer Controller (EKS) find where to put load balancers.
            ...(tier === 'public' ? { 'kubernetes.io/role/elb': '1' } : {}),
            ...(tier === 'private' ? { 'kubernetes.io/role/internal-elb': '1' } : {}),
          },
        },
        parent,
      );
    this.publicSubnets = zones.map((zone, i) => subnet('public', zone, i));
    this.privateSubnets = zones.map((zone, i) => subnet('private', zone, i));
    this.databaseSubnets = zones.map((zone, i) => subnet('database', zone, i));

    const publicRoutes = new aws.ec2.RouteTable(
      `${name}-public`,
      {
        vpcId: this.vpc.id,
        routes: [{ cidrBlock: '0.0.0.0/0', gatewayId: igw.id }],
        tags: { Name: `${name}-public` },
      },
      parent,
    );
    this.publicSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `${name}-public-${i}`,
          { subnetId: s.id, routeTableId: publicRoutes.id },
          parent,
        ),
    );

    const natCount = args.natGateways === 'perAz' ? zones.length : 1;
    this.natGateways = Array.from({ length: natCount }, (_, i) => {
      const eip = new aws.ec2.Eip(
        `${name}-nat-${i}`,
        { domain: 'vpc', tags: { Name: `${name}-nat-${i}` } },
        parent,
      );
      return new aws.ec2.NatGateway(
        `${name}-nat-${i}`,
        {
          allocationId: eip.id,
          subnetId: this.publicSubnets[i]!.id,
          connectivityType: 'public',
          tags: { Name: `${name}-nat-${i}` },
        },
        { ...parent, dependsOn: [igw] },
      );
    });
    this.privateSubnets.forEach((s, i) => {
      // Per-AZ NAT keeps an AZ's egress alive when another AZ fails; a single NAT is cheaper.
      const nat = this.natGateways[args.natGateways === 'perAz' ? i : 0]!;
      const table = new aws.ec2.RouteTable(
        `${name}-private-${i}`,
        {
          vpcId: this.vpc.id,
          routes: [{ cidrBlock: '0.0.0.0/0', natGatewayId: nat.id }],
          tags: { Name: `${name}-private-${zones[i]}` },
        },
        parent,
      );
      new aws.ec2.RouteTableAssociation(
        `${name}-private-${i}`,
        { subnetId: s.id, routeTableId: table.id },
        parent,
      );
    });

    // Databases never need to reach the internet: their route table has only the local route.
    const databaseRoutes = new aws.ec2.RouteTable(
      `${name}-database`,
      { vpcId: this.vpc.id, tags: { Name: `${name}-database` } },
      parent,
    );
    this.databaseSubnets.forEach(
      (s, i) =>
        new aws.ec2.RouteTableAssociation(
          `${name}-database-${i}`,
          { subnetId: s.id, routeTableId: databaseRoutes.id },
          parent,
        ),
    );

    if (args.flowLogs) {
      this.flowLogBucket = new AwsPrivateBucket(
        `${name}-flow-logs`,
        {
          namePrefix: `${name}-flow-logs`,
          versioning: false,
          sseAlgorithm: 'AES256',
          forceDestroy: args.forceDestroyLogs,
          lifecycleRules: [
            {
              id: 'expire-flow-logs',
              status: 'Enabled',
              filter: {},
              expiration: { days: args.flowLogRetentionDays },
            },
          ],
        },
        parent,
      );
      new aws.ec2.FlowLog(
        name,
        {
          vpcId: this.vpc.id,
          trafficType: 'ALL',
          logDestinationType: 's3',
          logDestination: this.flowLogBucket.bucket.arn,
          maxAggregationInterval: 600,
          tags: { Name: name },
        },
        { ...parent, dependsOn: [this.flowLogBucket.publicAccessBlock] },
      );
    }

    this.registerOutputs({
      vpcId: this.vpc.id,
      publicSubnetIds: this.publicSubnets.map((s) => s.id),
      privateSubnetIds: this.privateSubnets.map((s) => s.id),
      databaseSubnetIds: this.databaseSubnets.map((s) => s.id),
    });
  }
}
