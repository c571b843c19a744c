import * as aws from '@pulumi/aws';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { POSTGRES_PORT } from './aws-security-tiers';

export interface AwsPostgresArgs {
  engineVersion: string;
  instanceClass: string;
  allocatedStorageGb: number;
  maxAllocatedStorageGb: number;
  databaseName: string;
  username: string;
  multiAz: boolean;
  storageEncrypted: boolean;
  deletionProtection: boolean;
  backupRetentionDays: number;
  backupWindow: string;
  maintenanceWindow: string;
  finalSnapshot: boolean;
  performanceInsights: boolean;
  subnetIds: pulumi.Input<string[]>;
  securityGroupId: pulumi.Input<string>;
}

/** RDS PostgreSQL with a generated password, TLS forced, in its own subnet group. */
export class AwsPostgres extends pulumi.ComponentResource {
  readonly instance: aws.rds.Instance;
  readonly password: pulumi.Output<string>;

  constructor(name: string, args: AwsPostgresArgs, opts?: pulumi.ComponentResourceOptions) {
    super('strata:aws:Postgres', name, {}, opts);
    const parent = { parent: this };
    const major = args.engineVersion.split('.')[0];

    // Only URL-safe specials: the password goes into DATABASE_URL.
    const password = new random.RandomPassword(
      `${name}-password`,
      { length: 32, special: true, overrideSpecial: '-_.~' },
      parent,
    );
    this.password = password.result;

    const subnets = new aws.rds.SubnetGroup(
      name,
      { subnetIds: args.subnetIds, description: `${name} database subnets` },
      parent,
    );
    const parameters = new aws.rds.ParameterGroup(
      name,
      {
        family: `postgres${major}`,
        description: `${name}: TLS only, slow query logging`,
        parameters: [
          { name: 'rds.force_ssl', value: '1' },
          { name: 'log_min_duration_statement', value: '1000' },
        ],
      },
      parent,
    );
    this.instance = new aws.rds.Instance(
      name,
      {
        identifierPrefix: `${name.toLowerCase().slice(0, 40)}-`,
        engine: 'postgres',
        engineVersion: args.engineVersion,
        autoMinorVersionUpgrade: true,
        instanceClass: args.instanceClass,
        allocatedStorage: args.allocatedStorageGb,
        maxAllocatedStorage: Math.max(args.maxAllocatedStorageGb, args.allocatedStorageGb),
        storageType: 'gp3',
        storageEncrypted: args.storageEncrypted,
        dbName: args.databaseName,
        username: args.username,
        password: password.result,
        port: POSTGRES_PORT,
        dbSubnetGroupName: subnets.name,
        vpcSecurityGroupIds: [args.securityGroupId],
        parameterGroupName: parameters.name,
        publiclyAccessible: false,
        multiAz: args.multiAz,
        backupRetentionPeriod: args.backupRetentionDays,
        backupWindow: args.backupWindow,
        maintenanceWindow: args.maintenanceWindow,
        copyTagsToSnapshot: true,
        deletionProtection: args.deletionProtection,
        skipFinalSnapshot: !args.finalSnapshot,
        finalSnapshotIdentifier: args.finalSnapshot ? `${name}-final` : undefined,
        performanceInsightsEnabled: args.performanceInsights,
        enabledCloudwatchLogsExports: ['postgresql', 'upgrade'],
        applyImmediately: false,
      },
      parent,
    );
    this.registerOutputs({ address: this.instance.address, port: this.instance.port });
  }
}
