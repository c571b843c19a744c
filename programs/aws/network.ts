import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { AWS_REGION_PATTERN, awsProvider, DEFAULT_AWS_REGION } from '../components/aws-provider';
import { AwsSecurityTiers } from '../components/aws-security-tiers';
import { AwsVpc } from '../components/aws-vpc';
import { AwsWebAcl } from '../components/aws-web-acl';
import { ConfigError } from '../lib/config';
import { defineLayer } from '../lib/types';

const IPV4 = '(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)';

export const awsNetworkConfig = Type.Object(
  {
    region: Type.String({
      default: DEFAULT_AWS_REGION,
      pattern: AWS_REGION_PATTERN,
      description: 'AWS region, e.g. eu-west-1; the layers that follow use the same region',
    }),
    availabilityZones: Type.Optional(
      Type.Array(Type.String({ pattern: '^[a-z]{2}(-gov|-iso[a-z]?)?-[a-z]+-\\d[a-z]$' }), {
        minItems: 2,
        maxItems: 6,
        uniqueItems: true,
        description:
          'AZ names to use; default: the first azCount of <region>a, <region>b, <region>c, ...',
      }),
    ),
    azCount: Type.Integer({
      default: 2,
      minimum: 2,
      maximum: 6,
      description:
        'How many AZs to spread subnets over. At least 2: RDS subnet groups and ALBs need two AZs, so "single-AZ" dev still has two (workloads may use one)',
    }),
    cidrBlock: Type.String({
      default: '10.0.0.0/16',
      pattern: `^(${IPV4}\\.){3}${IPV4}/(1[6-8])$`,
      description:
        'VPC IPv4 block, /16 to /18; /24 subnets at .1+ (public), .11+ (private), .21+ (database)',
    }),
    natGateways: Type.Union([Type.Literal('single'), Type.Literal('perAz')], {
      default: 'single',
      description: 'One NAT gateway for the VPC (cheaper) or one per AZ (survives an AZ outage)',
    }),
    albIngressCidrs: Type.Array(
      Type.String({ pattern: `^(${IPV4}\\.){3}${IPV4}/([0-9]|[12]\\d|3[0-2])$` }),
      {
        default: ['0.0.0.0/0'],
        minItems: 1,
        maxItems: 20,
        description: 'IPv4 CIDRs allowed to reach load balancers on 80/443',
      },
    ),
    flowLogs: Type.Boolean({
      default: true,
      description: 'Send VPC flow logs (all traffic) to a private S3 bucket',
    }),
    flowLogRetentionDays: Type.Integer({
      default: 30,
      minimum: 1,
      maximum: 3650,
      description: 'Days flow logs are kept in their bucket',
    }),
    waf: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Create a WAFv2 web ACL for load balancers',
        }),
        rateLimitPerIp: Type.Integer({
          default: 1000,
          minimum: 10,
          maximum: 2_000_000_000,
          description: 'Requests per 5 minutes from one IP before WAF blocks it',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Web application firewall (replaced as a whole when set)',
      },
    ),
  },
  { additionalProperties: false },
);

export const awsNetwork = defineLayer({
  target: 'aws',
  layer: 'network',
  description:
    'VPC with public, private and database subnets over N AZs, NAT, flow logs to S3, a security group per tier, optional WAFv2 web ACL',
  config: awsNetworkConfig,
  presets: {
    dev: { azCount: 2, natGateways: 'single', flowLogRetentionDays: 7 },
    staging: { azCount: 2, natGateways: 'single', flowLogRetentionDays: 30 },
    prod: {
      azCount: 3,
      natGateways: 'perAz',
      flowLogRetentionDays: 365,
      waf: { enabled: true, rateLimitPerIp: 1000 },
    },
  },
  enforced: { prod: { flowLogs: true } },
  outputs: [
    { name: 'region', env: 'AWS_REGION', description: 'Region of the VPC' },
    { name: 'vpcId', env: 'VPC_ID', description: 'VPC id' },
    { name: 'vpcCidr', env: 'VPC_CIDR', description: 'VPC IPv4 block' },
    { name: 'availabilityZones', env: 'AVAILABILITY_ZONES', description: 'AZs the subnets use' },
    { name: 'publicSubnetIds', env: 'PUBLIC_SUBNET_IDS', description: 'Public subnet ids' },
    { name: 'privateSubnetIds', env: 'PRIVATE_SUBNET_IDS', description: 'Private subnet ids' },
    { name: 'databaseSubnetIds', env: 'DATABASE_SUBNET_IDS', description: 'Database subnet ids' },
    {
      name: 'albSecurityGroupId',
      env: 'ALB_SECURITY_GROUP_ID',
      description: 'Security group of load balancers',
    },
    {
      name: 'appSecurityGroupId',
      env: 'APP_SECURITY_GROUP_ID',
      description: 'Security group of workloads',
    },
    {
      name: 'databaseSecurityGroupId',
      env: 'DATABASE_SECURITY_GROUP_ID',
      description: 'Security group of databases (5432 from workloads only)',
    },
    {
      name: 'cacheSecurityGroupId',
      env: 'CACHE_SECURITY_GROUP_ID',
      description: 'Security group of caches (6379 from workloads only)',
    },
    { name: 'wafAclArn', env: 'WAF_ACL_ARN', description: 'WAFv2 web ACL ARN, when enabled' },
  ],
  check: (cfg) =>
    cfg.availabilityZones && cfg.availabilityZones.length < cfg.azCount
      ? [
          `layers.network.config.availabilityZones: lists ${cfg.availabilityZones.length} zones but azCount is ${cfg.azCount}`,
        ]
      : [],
  program: (args) => async () => {
    const cfg = args.config;
    const zones = (
      cfg.availabilityZones ?? ['a', 'b', 'c', 'd', 'e', 'f'].map((l) => `${cfg.region}${l}`)
    ).slice(0, cfg.azCount);
    if (zones.length < cfg.azCount) {
      throw new ConfigError([
        `layers.network.config.availabilityZones: lists ${zones.length} zones but azCount is ${cfg.azCount}`,
      ]);
    }
    const provider = awsProvider(args, 'network', cfg.region);
    const opts = { providers: [provider] };
    const name = args.environment;

    const vpc = new AwsVpc(
      name,
      {
        cidrBlock: cfg.cidrBlock,
        availabilityZones: zones,
        natGateways: cfg.natGateways,
        flowLogs: cfg.flowLogs,
        flowLogRetentionDays: cfg.flowLogRetentionDays,
        forceDestroyLogs: args.stage !== 'prod',
      },
      opts,
    );
    const tiers = new AwsSecurityTiers(
      name,
      { vpcId: vpc.vpc.id, vpcCidr: vpc.vpc.cidrBlock, albIngressCidrs: cfg.albIngressCidrs },
      opts,
    );
    const waf = cfg.waf.enabled
      ? new AwsWebAcl(`${name}-waf`, { rateLimitPerIp: cfg.waf.rateLimitPerIp }, opts)
      : undefined;

    return {
      region: cfg.region,
      vpcId: vpc.vpc.id,
      vpcCidr: vpc.vpc.cidrBlock,
      availabilityZones: zones,
      publicSubnetIds: pulumi.all(vpc.publicSubnets.map((s) => s.id)),
      privateSubnetIds: pulumi.all(vpc.privateSubnets.map((s) => s.id)),
      databaseSubnetIds: pulumi.all(vpc.databaseSubnets.map((s) => s.id)),
      albSecurityGroupId: tiers.alb.id,
      appSecurityGroupId: tiers.app.id,
      databaseSecurityGroupId: tiers.database.id,
      cacheSecurityGroupId: tiers.cache.id,
      ...(waf ? { wafAclArn: waf.acl.arn } : {}),
    };
  },
});
