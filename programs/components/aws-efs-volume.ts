import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';

export interface AwsEfsVolumeArgs {
  vpcId: pulumi.Input<string>;
  subnetIds: pulumi.Input<string>[];
  /** Security group of the tasks that mount the volume. */
  clientSecurityGroupId: pulumi.Input<string>;
  /** Skip the automatic daily AWS Backup of the file system. */
  backups: boolean;
}

const NFS_PORT = 2049;

/**
 * An encrypted EFS file system for containers that keep state on disk (a vector database's
 * collections, an LLM's model weights): Fargate tasks lose their local disk on every restart.
 */
export class AwsEfsVolume extends pulumi.ComponentResource {
  readonly fileSystem: aws.efs.FileSystem;
  readonly accessPoint: aws.efs.AccessPoint;
  readonly mountTargets: aws.efs.MountTarget[];

  constructor(name: string, args: AwsEfsVolumeArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:EfsVolume', name, {}, opts);
    const parent = { parent: this };
    this.fileSystem = new aws.efs.FileSystem(
      name,
      {
        encrypted: true,
        performanceMode: 'generalPurpose',
        throughputMode: 'elastic',
        tags: { Name: name },
      },
      parent,
    );
    new aws.efs.BackupPolicy(
      name,
      {
        fileSystemId: this.fileSystem.id,
        backupPolicy: { status: args.backups ? 'ENABLED' : 'DISABLED' },
      },
      parent,
    );
    const group = new aws.ec2.SecurityGroup(
      `${name}-efs`,
      { vpcId: args.vpcId, description: `${name}: NFS from its tasks only` },
      parent,
    );
    new aws.vpc.SecurityGroupIngressRule(
      `${name}-efs-nfs`,
      {
        securityGroupId: group.id,
        ipProtocol: 'tcp',
        fromPort: NFS_PORT,
        toPort: NFS_PORT,
        referencedSecurityGroupId: args.clientSecurityGroupId,
        description: 'NFS from the app tier',
      },
      parent,
    );
    this.mountTargets = args.subnetIds.map(
      (subnetId, i) =>
        new aws.efs.MountTarget(
          `${name}-${i}`,
          { fileSystemId: this.fileSystem.id, subnetId, securityGroups: [group.id] },
          parent,
        ),
    );
    this.accessPoint = new aws.efs.AccessPoint(
      name,
      {
        fileSystemId: this.fileSystem.id,
        rootDirectory: {
          path: '/data',
          creationInfo: { ownerUid: 1000, ownerGid: 1000, permissions: '775' },
        },
      },
      parent,
    );
    this.registerOutputs({ fileSystemId: this.fileSystem.id });
  }
}
