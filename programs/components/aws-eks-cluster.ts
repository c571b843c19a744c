import * as aws from '@pulumi/aws';
import * as eks from '@pulumi/eks';
import * as pulumi from '@pulumi/pulumi';
import { assumeRolePolicyFor } from './aws-assume-role-policy';

export interface AwsEksClusterArgs {
  kubernetesVersion: string;
  vpcId: pulumi.Input<string>;
  publicSubnetIds: pulumi.Input<string[]>;
  privateSubnetIds: pulumi.Input<string[]>;
  endpointPublicAccess: boolean;
  instanceTypes: string[];
  capacityType: 'ON_DEMAND' | 'SPOT';
  minSize: number;
  maxSize: number;
  desiredSize: number;
  diskSizeGb: number;
  deletionProtection: boolean;
}

const NODE_POLICIES = [
  'arn:aws:iam::aws:policy/AmazonEKSWorkerNodePolicy',
  'arn:aws:iam::aws:policy/AmazonEKS_CNI_Policy',
  'arn:aws:iam::aws:policy/AmazonEC2ContainerRegistryReadOnly',
];

/**
 * EKS through @pulumi/eks: access entries (no aws-auth ConfigMap), secrets envelope-encrypted
 * with a dedicated KMS key, control plane logs, OIDC for IRSA, and one managed node group
 * that only ever sits in private subnets.
 */
export class AwsEksCluster extends pulumi.ComponentResource {
  readonly cluster: eks.Cluster;
  readonly nodeGroup: eks.ManagedNodeGroup;

  constructor(name: string, args: AwsEksClusterArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:EksCluster', name, {}, opts);
    const parent = { parent: this };

    const secretsKey = new aws.kms.Key(
      `${name}-secrets`,
      {
        description: `${name}: envelope encryption of Kubernetes secrets`,
        enableKeyRotation: true,
        deletionWindowInDays: 30,
      },
      parent,
    );
    this.cluster = new eks.Cluster(
      name,
      {
        // A fixed name (unique per region and account) lets other layers and kubectl find it.
        name,
        version: args.kubernetesVersion,
        vpcId: args.vpcId,
        // Public subnets only host load balancers; nodes never land there.
        publicSubnetIds: args.publicSubnetIds,
        privateSubnetIds: args.privateSubnetIds,
        authenticationMode: eks.AuthenticationMode.Api,
        skipDefaultNodeGroup: true,
        // Managed nodes then use the EKS-created cluster security group, which the data
        // tier admits explicitly.
        skipDefaultSecurityGroups: true,
        endpointPrivateAccess: true,
        endpointPublicAccess: args.endpointPublicAccess,
        nodeAssociatePublicIpAddress: false,
        encryptionConfigKeyArn: secretsKey.arn,
        enabledClusterLogTypes: ['api', 'audit', 'authenticator'],
        createOidcProvider: true,
        deletionProtection: args.deletionProtection,
      },
      parent,
    );

    const nodeRole = new aws.iam.Role(
      `${name}-nodes`,
      {
        assumeRolePolicy: assumeRolePolicyFor('ec2.amazonaws.com'),
      },
      parent,
    );
    const attachments = NODE_POLICIES.map(
      (policyArn, i) =>
        new aws.iam.RolePolicyAttachment(
          `${name}-nodes-${i}`,
          { role: nodeRole.name, policyArn },
          parent,
        ),
    );
    this.nodeGroup = new eks.ManagedNodeGroup(
      `${name}-nodes`,
      {
        cluster: this.cluster,
        nodeRole,
        subnetIds: args.privateSubnetIds,
        instanceTypes: args.instanceTypes,
        capacityType: args.capacityType,
        diskSize: args.diskSizeGb,
        scalingConfig: {
          minSize: args.minSize,
          maxSize: args.maxSize,
          desiredSize: args.desiredSize,
        },
        labels: { 'strata.io/node-group': 'default' },
      },
      { ...parent, dependsOn: attachments },
    );
    this.registerOutputs({ clusterName: name });
  }
}
