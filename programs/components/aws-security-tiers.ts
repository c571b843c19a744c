import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export const POSTGRES_PORT = 5432;
export const REDIS_PORT = 6379;

export interface AwsSecurityTiersArgs {
  vpcId: pulumi.Input<string>;
  vpcCidr: pulumi.Input<string>;
  /** Who may reach the load balancer on 80/443. */
  albIngressCidrs: string[];
}

/**
 * One security group per tier, each admitting only the tier in front of it:
 * internet -> alb (80/443) -> app (any TCP) -> database (5432) / cache (6379).
 * Database and cache admit no CIDR at all, so no config can open them to the internet.
 */
export class AwsSecurityTiers extends pulumi.ComponentResource {
  readonly alb: aws.ec2.SecurityGroup;
  readonly app: aws.ec2.SecurityGroup;
  readonly database: aws.ec2.SecurityGroup;
  readonly cache: aws.ec2.SecurityGroup;

  constructor(name: string, args: AwsSecurityTiersArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:SecurityTiers', name, {}, opts);
    const parent = { parent: this };
    const group = (tier: string, description: string) =>
      new aws.ec2.SecurityGroup(
        `${name}-${tier}`,
        { vpcId: args.vpcId, description, tags: { Name: `${name}-${tier}`, 'strata:tier': tier } },
        parent,
      );
    this.alb = group('alb', 'Load balancers: HTTP(S) from the allowed CIDRs');
    this.app = group('app', 'Workloads: traffic from the load balancers and each other');
    this.database = group('database', 'PostgreSQL: only from workloads');
    this.cache = group('cache', 'Redis: only from workloads');

    args.albIngressCidrs.forEach((cidr, i) => {
      for (const port of [80, 443]) {
        new aws.vpc.SecurityGroupIngressRule(
          `${name}-alb-${port}-${i}`,
          {
            securityGroupId: this.alb.id,
            ipProtocol: 'tcp',
            fromPort: port,
            toPort: port,
            cidrIpv4: cidr,
            description: `HTTP${port === 443 ? 'S' : ''} from ${cidr}`,
          },
          parent,
        );
      }
    });
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-alb-to-vpc`,
      {
        securityGroupId: this.alb.id,
        ipProtocol: 'tcp',
        fromPort: 0,
        toPort: 65535,
        cidrIpv4: args.vpcCidr,
        description: 'Forward to targets inside the VPC only',
      },
      parent,
    );

    new aws.vpc.SecurityGroupIngressRule(
      `${name}-app-from-alb`,
      {
        securityGroupId: this.app.id,
        ipProtocol: 'tcp',
        fromPort: 0,
        toPort: 65535,
        referencedSecurityGroupId: this.alb.id,
        description: 'Any target port, from the load balancers',
      },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-app-from-app`,
      {
        securityGroupId: this.app.id,
        ipProtocol: 'tcp',
        fromPort: 0,
        toPort: 65535,
        referencedSecurityGroupId: this.app.id,
        description: 'Service to service (e.g. backend to vector database)',
      },
      parent,
    );
    new aws.vpc.SecurityGroupEgressRule(
      `${name}-app-out`,
      {
        securityGroupId: this.app.id,
        ipProtocol: '-1',
        cidrIpv4: '0.0.0.0/0',
        description: 'Workloads call out through NAT (registries, APIs)',
      },
      parent,
    );

    const onlyFromApp = (tier: 'database' | 'cache', port: number) =>
      new aws.vpc.SecurityGroupIngressRule(
        `${name}-${tier}-from-app`,
        {
          securityGroupId: (tier === 'database' ? this.database : this.cache).id,
          ipProtocol: 'tcp',
          fromPort: port,
          toPort: port,
          referencedSecurityGroupId: this.app.id,
          description: `Port ${port} from the app tier only`,
        },
        parent,
      );
    onlyFromApp('database', POSTGRES_PORT);
    onlyFromApp('cache', REDIS_PORT);

    this.registerOutputs({
      alb: this.alb.id,
      app: this.app.id,
      database: this.database.id,
      cache: this.cache.id,
    });
  }
}
