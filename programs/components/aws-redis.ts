import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { REDIS_PORT } from './aws-security-tiers';

export interface AwsRedisArgs {
  engineVersion: string;
  nodeType: string;
  replicas: number;
  snapshotRetentionDays: number;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
}

/** ElastiCache Redis replication group, encrypted at rest and in transit, behind an AUTH token. */
export class AwsRedis extends pulumi.ComponentResource {
  readonly group: aws.elasticache.ReplicationGroup;
  readonly authToken: pulumi.Output<string>;

  constructor(name: string, args: AwsRedisArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:Redis', name, {}, opts);
    const parent = { parent: this };
    // ElastiCache AUTH tokens refuse most specials; alphanumerics at length 48 are ample.
    const token = new random.RandomPassword(
      `${name}-auth-token`,
      { length: 48, special: false },
      parent,
    );
    this.authToken = token.result;
    const subnets = new aws.elasticache.SubnetGroup(
      name,
      { subnetIds: args.subnetIds, description: `${name} cache subnets` },
      parent,
    );
    // Failover needs a replica to fail over to; multi-AZ needs failover.
    const failover = args.replicas > 0;
    this.group = new aws.elasticache.ReplicationGroup(
      name,
      {
        description: `${name} Redis`,
        engine: 'redis',
        engineVersion: args.engineVersion,
        nodeType: args.nodeType,
        numCacheClusters: 1 + args.replicas,
        automaticFailoverEnabled: failover,
        multiAzEnabled: failover,
        port: REDIS_PORT,
        subnetGroupName: subnets.name,
        securityGroupIds: [args.securityGroupId],
        atRestEncryptionEnabled: true,
        transitEncryptionEnabled: true,
        authToken: token.result,
        snapshotRetentionLimit: args.snapshotRetentionDays,
        autoMinorVersionUpgrade: true,
      },
      parent,
    );
    this.registerOutputs({ primaryEndpoint: this.group.primaryEndpointAddress });
  }
}
