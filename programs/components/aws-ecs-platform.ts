import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicyFor } from './aws-assume-role-policy';

export interface AwsEcsPlatformArgs {
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  albSecurityGroupId: pulumi.Input<string>;
  /** With a certificate the ALB serves HTTPS and redirects HTTP; without, plain HTTP. */
  certificateArn?: string;
  containerInsights: boolean;
  deletionProtection: boolean;
  /** SSM parameter path the task execution role may read secrets from. */
  secretsPath: string;
  /** WAFv2 web ACL to put in front of the load balancer. */
  wafAclArn?: pulumi.Input<string>;
}

const TLS_POLICY = 'ELBSecurityPolicy-TLS13-1-2-2021-06';

/**
 * What every Fargate service of an environment shares: the ECS cluster, the Service Connect
 * namespace (services find each other by name), the internet-facing ALB and its listener,
 * and the task execution role.
 */
export class AwsEcsPlatform extends pulumi.ComponentResource {
  readonly cluster: aws.ecs.Cluster;
  readonly namespace: aws.servicediscovery.HttpNamespace;
  readonly alb: aws.lb.LoadBalancer;
  /** Where routing rules for services go (HTTPS when a certificate is configured). */
  readonly listener: aws.lb.Listener;
  readonly executionRole: aws.iam.Role;
  readonly url: pulumi.Output<string>;

  constructor(name: string, args: AwsEcsPlatformArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:EcsPlatform', name, {}, opts);
    const parent = { parent: this };

    this.namespace = new aws.servicediscovery.HttpNamespace(
      name,
      { name: `${name}.internal`, description: `${name} Service Connect` },
      parent,
    );
    this.cluster = new aws.ecs.Cluster(
      name,
      {
        settings: [
          { name: 'containerInsights', value: args.containerInsights ? 'enabled' : 'disabled' },
        ],
        serviceConnectDefaults: { namespace: this.namespace.arn },
      },
      parent,
    );
    new aws.ecs.ClusterCapacityProviders(
      name,
      {
        clusterName: this.cluster.name,
        capacityProviders: ['FARGATE', 'FARGATE_SPOT'],
        defaultCapacityProviderStrategies: [{ capacityProvider: 'FARGATE', weight: 1, base: 1 }],
      },
      parent,
    );

    this.executionRole = new aws.iam.Role(
      `${name}-execution`,
      {
        assumeRolePolicy: assumeRolePolicyFor('ecs-tasks.amazonaws.com'),
      },
      parent,
    );
    new aws.iam.RolePolicyAttachment(
      `${name}-execution`,
      {
        role: this.executionRole.name,
        policyArn: 'arn:aws:iam::aws:policy/service-role/AmazonECSTaskExecutionRolePolicy',
      },
      parent,
    );
    new aws.iam.RolePolicy(
      `${name}-execution-secrets`,
      {
        role: this.executionRole.id,
        policy: JSON.stringify({
          Version: '2012-10-17',
          Statement: [
            {
              Effect: 'Allow',
              Action: ['ssm:GetParameters'],
              Resource: `arn:aws:ssm:*:*:parameter${args.secretsPath}/*`,
            },
          ],
        }),
      },
      parent,
    );

    this.alb = new aws.lb.LoadBalancer(
      name,
      {
        loadBalancerType: 'application',
        internal: false,
        subnets: args.publicSubnetIds,
        securityGroups: [args.albSecurityGroupId],
        dropInvalidHeaderFields: true,
        enableDeletionProtection: args.deletionProtection,
        idleTimeout: 120,
      },
      parent,
    );
    const notFound = {
      type: 'fixed-response',
      fixedResponse: { contentType: 'text/plain', statusCode: '404', messageBody: 'not found' },
    };
    if (args.certificateArn) {
      this.listener = new aws.lb.Listener(
        `${name}-https`,
        {
          loadBalancerArn: this.alb.arn,
          port: 443,
          protocol: 'HTTPS',
          sslPolicy: TLS_POLICY,
          certificateArn: args.certificateArn,
          defaultActions: [notFound],
        },
        parent,
      );
      new aws.lb.Listener(
        `${name}-http`,
        {
          loadBalancerArn: this.alb.arn,
          port: 80,
          protocol: 'HTTP',
          defaultActions: [
            {
              type: 'redirect',
              redirect: { protocol: 'HTTPS', port: '443', statusCode: 'HTTP_301' },
            },
          ],
        },
        parent,
      );
      this.url = pulumi.interpolate`https://${this.alb.dnsName}`;
    } else {
      this.listener = new aws.lb.Listener(
        `${name}-http`,
        { loadBalancerArn: this.alb.arn, port: 80, protocol: 'HTTP', defaultActions: [notFound] },
        parent,
      );
      this.url = pulumi.interpolate`http://${this.alb.dnsName}`;
    }
    if (args.wafAclArn) {
      new aws.wafv2.WebAclAssociation(
        name,
        { resourceArn: this.alb.arn, webAclArn: args.wafAclArn },
        parent,
      );
    }
    this.registerOutputs({ cluster: this.cluster.name, albDnsName: this.alb.dnsName });
  }
}
