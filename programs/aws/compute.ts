import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import type { LayerName, StackOutput } from '../../core/domain';
import { AwsEcsPlatform } from '../components/aws-ecs-platform';
import { AwsEksCluster } from '../components/aws-eks-cluster';
import { AwsFargateService, type FargateServiceSpec } from '../components/aws-fargate-service';
import { logRetentionSchema } from '../components/aws-log-retention';
import { AWS_REGION_PATTERN, awsProvider, layerRegion } from '../components/aws-provider';
import { POSTGRES_PORT, REDIS_PORT } from '../components/aws-security-tiers';
import { failOn } from '../lib/config';
import {
  defineLayer,
  dependencyOutput,
  optionalDependencyOutput,
  type ProgramArgs,
} from '../lib/types';

/** Fargate's memory range (MiB) for each CPU size (CPU units). */
const FARGATE_MEMORY: Record<number, [number, number]> = {
  256: [512, 2048],
  512: [1024, 4096],
  1024: [2048, 8192],
  2048: [4096, 16384],
  4096: [8192, 30720],
  8192: [16384, 61440],
  16384: [32768, 122880],
};

const service = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,22}$',
      description: 'Service name, also its Service Connect DNS name',
    }),
    image: Type.String({ minLength: 1, maxLength: 255, description: 'Container image' }),
    port: Type.Integer({ minimum: 1, maximum: 65535, description: 'Container port' }),
    cpu: Type.Union(
      Object.keys(FARGATE_MEMORY).map((c) => Type.Literal(Number(c))),
      { default: 256, description: 'Fargate CPU units: 256, 512, 1024, 2048, 4096, 8192, 16384' },
    ),
    memory: Type.Integer({
      default: 512,
      minimum: 512,
      maximum: 122880,
      description: 'Memory in MiB; must fit the CPU size (Fargate combinations)',
    }),
    desiredCount: Type.Integer({ default: 1, minimum: 0, maximum: 100, description: 'Tasks' }),
    healthCheckPath: Type.String({
      default: '/',
      pattern: '^/',
      description: 'HTTP path the load balancer checks',
    }),
    public: Type.Boolean({
      default: false,
      description: 'Expose through the load balancer; otherwise reachable only inside the VPC',
    }),
    pathPatterns: Type.Optional(
      Type.Array(Type.String({ pattern: '^/', maxLength: 128 }), {
        minItems: 1,
        maxItems: 5,
        description: 'ALB path patterns routed to this service, e.g. ["/api/*"]; default all paths',
      }),
    ),
    persistentPath: Type.Optional(
      Type.String({
        pattern: '^/[A-Za-z0-9_./-]*$',
        description: 'Mount an encrypted, backed-up EFS volume at this path',
      }),
    ),
    command: Type.Optional(
      Type.Array(Type.String(), { maxItems: 50, description: 'Container command override' }),
    ),
    environment: Type.Optional(
      Type.Record(Type.String({ pattern: '^[A-Za-z_][A-Za-z0-9_]*$' }), Type.String(), {
        description: 'Extra plain environment variables (never secrets)',
      }),
    ),
  },
  { additionalProperties: false },
);

export const awsComputeConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: AWS_REGION_PATTERN,
        description: "AWS region; default: the network layer's",
      }),
    ),
    mode: Type.Union([Type.Literal('eks'), Type.Literal('ecs')], {
      default: 'eks',
      description:
        'eks: a Kubernetes cluster with a managed node group; ecs: Fargate services behind an ALB',
    }),
    // Only versions in EKS standard support (14 months from release): 1.33 left it in July
    // 2026 and now costs extended-support fees; 1.35 is supported until March 2027.
    kubernetesVersion: Type.Union(
      [Type.Literal('1.34'), Type.Literal('1.35'), Type.Literal('1.36')],
      {
        default: '1.35',
        description: 'EKS Kubernetes version (eks mode), one in AWS standard support',
      },
    ),
    nodeInstanceTypes: Type.Array(Type.String({ pattern: '^[a-z][a-z0-9-]*\\.[a-z0-9]+$' }), {
      default: ['t3.medium'],
      minItems: 1,
      maxItems: 10,
      uniqueItems: true,
      description: 'EC2 instance types of the node group (eks mode)',
    }),
    nodeMinSize: Type.Integer({
      default: 1,
      minimum: 0,
      maximum: 450,
      description: 'Fewest nodes',
    }),
    nodeMaxSize: Type.Integer({ default: 3, minimum: 1, maximum: 450, description: 'Most nodes' }),
    nodeDesiredSize: Type.Integer({
      default: 1,
      minimum: 0,
      maximum: 450,
      description: 'Nodes at creation, between nodeMinSize and nodeMaxSize',
    }),
    nodeCapacityType: Type.Union([Type.Literal('ON_DEMAND'), Type.Literal('SPOT')], {
      default: 'ON_DEMAND',
      description: 'ON_DEMAND or SPOT nodes',
    }),
    nodeDiskSizeGb: Type.Integer({
      default: 50,
      minimum: 20,
      maximum: 2000,
      description: 'Root volume of each node, GiB',
    }),
    endpointPublicAccess: Type.Boolean({
      default: true,
      description: 'Kubernetes API reachable from the internet (it always is from the VPC)',
    }),
    services: Type.Array(service, {
      default: [],
      maxItems: 20,
      description: 'Fargate services (ecs mode)',
    }),
    certificateArn: Type.Optional(
      Type.String({
        pattern: '^arn:aws[a-z-]*:acm:[a-z0-9-]+:\\d{12}:certificate/[A-Za-z0-9-]+$',
        description: 'ACM certificate: the ALB then serves HTTPS and redirects HTTP (ecs mode)',
      }),
    ),
    containerInsights: Type.Boolean({
      default: false,
      description: 'CloudWatch Container Insights on the ECS cluster',
    }),
    logRetentionDays: logRetentionSchema(14),
    injectConnectionEnv: Type.Boolean({
      default: true,
      description:
        'Give services the data and storage connection settings (secrets through SSM SecureString, never in the task definition)',
    }),
    deletionProtection: Type.Boolean({
      default: false,
      description: 'Protect the EKS cluster or the ALB from deletion (always on in prod)',
    }),
  },
  { additionalProperties: false },
);

/** The DESIGN's default bundle names of the layers a workload connects to. */
const CONNECTION_ENV: Partial<Record<LayerName, Record<string, string>>> = {
  data: {
    host: 'DB_HOST',
    port: 'DB_PORT',
    database: 'DB_NAME',
    username: 'DB_USER',
    password: 'DB_PASSWORD',
    url: 'DATABASE_URL',
    redisUrl: 'REDIS_URL',
  },
  storage: {
    endpoint: 'STORAGE_ENDPOINT',
    bucket: 'STORAGE_BUCKET',
    region: 'STORAGE_REGION',
    accessKey: 'STORAGE_ACCESS_KEY',
    secretKey: 'STORAGE_SECRET_KEY',
  },
};

function connectionOutputs(
  args: ProgramArgs<unknown>,
): { key: string; output: StackOutput; layer: LayerName; name: string }[] {
  return Object.entries(CONNECTION_ENV).flatMap(([layer, names]) =>
    Object.entries(names ?? {}).flatMap(([name, key]) => {
      const output = args.inputs[layer as LayerName]?.[name];
      return output ? [{ key, output, layer: layer as LayerName, name }] : [];
    }),
  );
}

function nodeSizeProblems(cfg: {
  nodeMinSize: number;
  nodeMaxSize: number;
  nodeDesiredSize: number;
}): string[] {
  const problems: string[] = [];
  if (cfg.nodeMinSize > cfg.nodeMaxSize) {
    problems.push(
      `layers.compute.config.nodeMinSize: ${cfg.nodeMinSize} is above nodeMaxSize ${cfg.nodeMaxSize}`,
    );
  } else if (cfg.nodeDesiredSize < cfg.nodeMinSize || cfg.nodeDesiredSize > cfg.nodeMaxSize) {
    problems.push(
      `layers.compute.config.nodeDesiredSize: ${cfg.nodeDesiredSize} is outside ${cfg.nodeMinSize}-${cfg.nodeMaxSize}`,
    );
  }
  return problems;
}

function serviceProblems(services: FargateServiceSpec[]): string[] {
  const problems: string[] = [];
  const seen = new Set<string>();
  let catchAll = 0;
  services.forEach((s, i) => {
    const field = `layers.compute.config.services[${i}]`;
    if (seen.has(s.name)) problems.push(`${field}.name: "${s.name}" is used twice`);
    seen.add(s.name);
    const [low, high] = FARGATE_MEMORY[s.cpu] ?? [0, 0];
    if (s.memory < low || s.memory > high) {
      problems.push(`${field}.memory: ${s.cpu} CPU units take ${low}-${high} MiB, not ${s.memory}`);
    }
    if (s.public && !s.pathPatterns) catchAll += 1;
    if (!s.public && s.pathPatterns) {
      problems.push(`${field}.pathPatterns: only public services are routed by the load balancer`);
    }
  });
  if (catchAll > 1) {
    problems.push(
      'layers.compute.config.services: more than one public service without pathPatterns; give all but one pathPatterns',
    );
  }
  return problems;
}

export const awsCompute = defineLayer({
  target: 'aws',
  layer: 'compute',
  description:
    'EKS (managed node group in private subnets) or ECS Fargate services in private subnets behind an internet-facing ALB with the network WAF',
  config: awsComputeConfig,
  presets: {
    dev: {
      nodeInstanceTypes: ['t3.medium'],
      nodeMinSize: 1,
      nodeMaxSize: 3,
      nodeDesiredSize: 1,
      logRetentionDays: 7,
    },
    staging: {
      nodeInstanceTypes: ['m6i.large'],
      nodeMinSize: 2,
      nodeMaxSize: 5,
      nodeDesiredSize: 2,
      logRetentionDays: 30,
    },
    prod: {
      nodeInstanceTypes: ['m6i.large', 'm6a.large', 'm5.large'],
      nodeMinSize: 3,
      nodeMaxSize: 10,
      nodeDesiredSize: 3,
      containerInsights: true,
      logRetentionDays: 90,
    },
  },
  enforced: { prod: { deletionProtection: true } },
  outputs: [
    { name: 'mode', env: 'COMPUTE_MODE', description: 'eks or ecs' },
    { name: 'clusterName', env: 'CLUSTER_NAME', description: 'EKS or ECS cluster name' },
    {
      name: 'kubeconfig',
      env: 'KUBECONFIG_JSON',
      secret: true,
      description: 'kubeconfig of the EKS cluster (eks mode)',
    },
    {
      name: 'oidcProviderArn',
      env: 'OIDC_PROVIDER_ARN',
      description: 'IAM OIDC provider for service-account roles (eks mode)',
    },
    { name: 'albDnsName', env: 'ALB_DNS_NAME', description: 'Load balancer DNS name (ecs mode)' },
    {
      name: 'albArnSuffix',
      env: 'ALB_ARN_SUFFIX',
      description: 'Load balancer id for CloudWatch metrics (ecs mode)',
    },
    { name: 'url', env: 'APP_URL', description: 'Public URL of the load balancer (ecs mode)' },
    {
      name: 'logGroupNames',
      env: 'COMPUTE_LOG_GROUPS',
      description: 'CloudWatch log group of each service (ecs mode)',
    },
  ],
  check: (cfg) =>
    cfg.mode === 'eks'
      ? nodeSizeProblems(cfg)
      : serviceProblems(cfg.services as FargateServiceSpec[]),
  program: (args) => async () => {
    const cfg = args.config;
    failOn(
      cfg.mode === 'eks'
        ? nodeSizeProblems(cfg)
        : serviceProblems(cfg.services as FargateServiceSpec[]),
    );
    const region = layerRegion(args, cfg.region);
    const provider = awsProvider(args, 'compute', region);
    const opts = { providers: [provider] };
    const name = args.environment;
    const vpcId = dependencyOutput(args, 'network', 'vpcId');
    const privateSubnetIds = dependencyOutput<string[]>(args, 'network', 'privateSubnetIds');
    const publicSubnetIds = dependencyOutput<string[]>(args, 'network', 'publicSubnetIds');

    if (cfg.mode === 'eks') {
      const eksCluster = new AwsEksCluster(
        `${name}-eks`,
        {
          kubernetesVersion: cfg.kubernetesVersion,
          vpcId,
          publicSubnetIds,
          privateSubnetIds,
          endpointPublicAccess: cfg.endpointPublicAccess,
          instanceTypes: cfg.nodeInstanceTypes,
          capacityType: cfg.nodeCapacityType,
          minSize: cfg.nodeMinSize,
          maxSize: cfg.nodeMaxSize,
          desiredSize: cfg.nodeDesiredSize,
          diskSizeGb: cfg.nodeDiskSizeGb,
          deletionProtection: cfg.deletionProtection,
        },
        opts,
      );
      // Pods run with the cluster security group, not the network's app group, so the data
      // tier has to admit that group explicitly (still a group, never a CIDR).
      const tiers: [string, number][] = [
        ['databaseSecurityGroupId', POSTGRES_PORT],
        ['cacheSecurityGroupId', REDIS_PORT],
      ];
      for (const [output, port] of tiers) {
        const groupId = optionalDependencyOutput(args, 'network', output);
        if (!groupId) continue;
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-eks-to-${port}`,
          {
            securityGroupId: groupId,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            referencedSecurityGroupId: eksCluster.cluster.clusterSecurityGroupId,
            description: `Port ${port} from EKS pods`,
          },
          { provider },
        );
      }
      return {
        mode: 'eks',
        clusterName: `${name}-eks`,
        kubeconfig: pulumi.secret(eksCluster.cluster.kubeconfigJson),
        oidcProviderArn: eksCluster.cluster.oidcProviderArn,
      };
    }

    const services = cfg.services as FargateServiceSpec[];
    const secretsPath = `/strata/${name}`;
    const platform = new AwsEcsPlatform(
      `${name}-ecs`,
      {
        vpcId,
        publicSubnetIds,
        albSecurityGroupId: dependencyOutput(args, 'network', 'albSecurityGroupId'),
        certificateArn: cfg.certificateArn,
        containerInsights: cfg.containerInsights,
        deletionProtection: cfg.deletionProtection,
        secretsPath,
        wafAclArn: optionalDependencyOutput(args, 'network', 'wafAclArn'),
      },
      opts,
    );

    const environment: Record<string, pulumi.Input<string>> = {};
    const secrets: Record<string, pulumi.Input<string>> = {};
    if (cfg.injectConnectionEnv) {
      for (const { key, output, layer, name: outputName } of connectionOutputs(args)) {
        const value = dependencyOutput(args, layer, outputName).apply(String);
        if (!output.secret) {
          environment[key] = value;
          continue;
        }
        const parameter = new aws.ssm.Parameter(
          `${name}-${key.toLowerCase()}`,
          { name: `${secretsPath}/${key}`, type: 'SecureString', value },
          { provider },
        );
        secrets[key] = parameter.arn;
      }
    }

    const privateSubnetIdList = (args.inputs.network?.privateSubnetIds?.value ?? []) as string[];
    let priority = 100;
    const running = services.map((spec) => {
      // Specific paths first, the catch-all last.
      const rulePriority = spec.pathPatterns ? (priority += 10) : 50_000;
      return new AwsFargateService(
        `${name}-${spec.name}`,
        {
          spec,
          clusterArn: platform.cluster.arn,
          namespaceArn: platform.namespace.arn,
          executionRoleArn: platform.executionRole.arn,
          vpcId,
          privateSubnetIds,
          privateSubnetIdList,
          appSecurityGroupId: dependencyOutput(args, 'network', 'appSecurityGroupId'),
          listenerArn: platform.listener.arn,
          priority: rulePriority,
          environment,
          secrets,
          logRetentionDays: cfg.logRetentionDays,
          backups: args.stage !== 'dev',
          region,
        },
        { ...opts, dependsOn: [platform] },
      );
    });

    return {
      mode: 'ecs',
      clusterName: platform.cluster.name,
      albDnsName: platform.alb.dnsName,
      albArnSuffix: platform.alb.arnSuffix,
      url: platform.url,
      logGroupNames: pulumi.all(running.map((s) => s.logGroup.name)),
    };
  },
});
