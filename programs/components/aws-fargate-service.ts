import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { AwsEfsVolume } from './aws-efs-volume';
import { assumeRolePolicyFor } from './aws-assume-role-policy';

export interface FargateServiceSpec {
  name: string;
  image: string;
  port: number;
  cpu: number;
  memory: number;
  desiredCount: number;
  healthCheckPath: string;
  public: boolean;
  pathPatterns?: string[];
  persistentPath?: string;
  command?: string[];
  environment?: Record<string, string>;
}

export interface AwsFargateServiceArgs {
  spec: FargateServiceSpec;
  clusterArn: pulumi.Input<string>;
  namespaceArn: pulumi.Input<string>;
  executionRoleArn: pulumi.Input<string>;
  vpcId: pulumi.Input<string>;
  privateSubnetIds: pulumi.Input<string[]>;
  /** Needed only for a persistent volume: one EFS mount target per subnet. */
  privateSubnetIdList: string[];
  appSecurityGroupId: pulumi.Input<string>;
  /** Listener and rule priority, for services the load balancer exposes. */
  listenerArn: pulumi.Input<string>;
  priority: number;
  /** Plain variables every container gets (connection settings that are not secret). */
  environment: Record<string, pulumi.Input<string>>;
  /** Variable name to SSM parameter ARN: ECS injects the value, it never sits in the task definition. */
  secrets: Record<string, pulumi.Input<string>>;
  logRetentionDays: number;
  backups: boolean;
  region: pulumi.Input<string>;
}

/**
 * One Fargate service in private subnets: log group, task definition, optional EFS volume,
 * Service Connect name, and (when public) a target group behind the shared ALB. Deployments
 * roll back by themselves when new tasks fail their health checks.
 */
export class AwsFargateService extends pulumi.ComponentResource {
  readonly service: aws.ecs.Service;
  readonly logGroup: aws.cloudwatch.LogGroup;
  readonly targetGroup?: aws.lb.TargetGroup;

  constructor(name: string, args: AwsFargateServiceArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:FargateService', name, {}, opts);
    const parent = { parent: this };
    const spec = args.spec;

    this.logGroup = new aws.cloudwatch.LogGroup(
      name,
      { name: `/strata/${name}`, retentionInDays: args.logRetentionDays },
      parent,
    );
    const taskRole = new aws.iam.Role(
      `${name}-task`,
      {
        assumeRolePolicy: assumeRolePolicyFor('ecs-tasks.amazonaws.com'),
      },
      parent,
    );

    const volume = spec.persistentPath
      ? new AwsEfsVolume(
          name,
          {
            vpcId: args.vpcId,
            subnetIds: args.privateSubnetIdList,
            clientSecurityGroupId: args.appSecurityGroupId,
            backups: args.backups,
          },
          parent,
        )
      : undefined;

    const container = pulumi.jsonStringify([
      {
        name: spec.name,
        image: spec.image,
        essential: true,
        command: spec.command,
        portMappings: [{ name: spec.name, containerPort: spec.port, protocol: 'tcp' }],
        environment: Object.entries({ ...args.environment, ...(spec.environment ?? {}) }).map(
          ([key, value]) => ({ name: key, value }),
        ),
        secrets: Object.entries(args.secrets).map(([key, valueFrom]) => ({
          name: key,
          valueFrom,
        })),
        mountPoints: volume
          ? [{ sourceVolume: 'data', containerPath: spec.persistentPath, readOnly: false }]
          : [],
        logConfiguration: {
          logDriver: 'awslogs',
          options: {
            'awslogs-group': this.logGroup.name,
            'awslogs-region': args.region,
            'awslogs-stream-prefix': spec.name,
          },
        },
      },
    ]);
    const task = new aws.ecs.TaskDefinition(
      name,
      {
        family: name,
        cpu: String(spec.cpu),
        memory: String(spec.memory),
        networkMode: 'awsvpc',
        requiresCompatibilities: ['FARGATE'],
        runtimePlatform: { operatingSystemFamily: 'LINUX', cpuArchitecture: 'X86_64' },
        executionRoleArn: args.executionRoleArn,
        taskRoleArn: taskRole.arn,
        containerDefinitions: container,
        volumes: volume
          ? [
              {
                name: 'data',
                efsVolumeConfiguration: {
                  fileSystemId: volume.fileSystem.id,
                  transitEncryption: 'ENABLED',
                  authorizationConfig: { accessPointId: volume.accessPoint.id, iam: 'DISABLED' },
                },
              },
            ]
          : [],
      },
      parent,
    );

    const loadBalancers: aws.types.input.ecs.ServiceLoadBalancer[] = [];
    const dependsOn: pulumi.Resource[] = [...(volume?.mountTargets ?? [])];
    if (spec.public) {
      this.targetGroup = new aws.lb.TargetGroup(
        name,
        {
          port: spec.port,
          protocol: 'HTTP',
          targetType: 'ip',
          vpcId: args.vpcId,
          deregistrationDelay: 30,
          healthCheck: {
            path: spec.healthCheckPath,
            matcher: '200-399',
            interval: 30,
            timeout: 10,
            healthyThreshold: 2,
            unhealthyThreshold: 5,
          },
        },
        parent,
      );
      const rule = new aws.lb.ListenerRule(
        name,
        {
          listenerArn: args.listenerArn,
          priority: args.priority,
          actions: [{ type: 'forward', targetGroupArn: this.targetGroup.arn }],
          conditions: [{ pathPattern: { values: spec.pathPatterns ?? ['/*'] } }],
        },
        parent,
      );
      dependsOn.push(rule);
      loadBalancers.push({
        targetGroupArn: this.targetGroup.arn,
        containerName: spec.name,
        containerPort: spec.port,
      });
    }

    this.service = new aws.ecs.Service(
      name,
      {
        cluster: args.clusterArn,
        taskDefinition: task.arn,
        desiredCount: spec.desiredCount,
        launchType: 'FARGATE',
        networkConfiguration: {
          subnets: args.privateSubnetIds,
          securityGroups: [args.appSecurityGroupId],
          assignPublicIp: false,
        },
        loadBalancers,
        healthCheckGracePeriodSeconds: spec.public ? 60 : undefined,
        deploymentCircuitBreaker: { enable: true, rollback: true },
        deploymentMinimumHealthyPercent: 100,
        deploymentMaximumPercent: 200,
        serviceConnectConfiguration: {
          enabled: true,
          namespace: args.namespaceArn,
          services: [
            {
              portName: spec.name,
              discoveryName: spec.name,
              clientAlias: [{ port: spec.port, dnsName: spec.name }],
            },
          ],
        },
        propagateTags: 'SERVICE',
        enableEcsManagedTags: true,
        waitForSteadyState: false,
      },
      { ...parent, dependsOn },
    );
    this.registerOutputs({ service: this.service.name });
  }
}
