import * as pulumi from '@pulumi/pulumi';
import { Type } from '@sinclair/typebox';
import { AwsPostgres } from '../components/aws-postgres';
import { AWS_REGION_PATTERN, awsProvider, layerRegion } from '../components/aws-provider';
import { AwsRedis } from '../components/aws-redis';
import { REDIS_PORT } from '../components/aws-security-tiers';
import { defineLayer, dependencyOutput } from '../lib/types';

/** Prod keeps at least a week of backups, whatever the environment asks for. */
export const PROD_MIN_BACKUP_DAYS = 7;

const IDENTIFIER = '^[a-zA-Z][a-zA-Z0-9_]{0,62}$';

export const awsDataConfig = Type.Object(
  {
    region: Type.Optional(
      Type.String({
        pattern: AWS_REGION_PATTERN,
        description: "AWS region; default: the network layer's",
      }),
    ),
    engineVersion: Type.String({
      default: '17',
      pattern: '^(15|16|17)(\\.\\d{1,2})?$',
      description:
        'PostgreSQL version: a supported major (15, 16, 17), optionally with a minor; a bare major takes the newest minor',
    }),
    instanceClass: Type.String({
      default: 'db.t4g.micro',
      pattern: '^db\\.[a-z0-9]+\\.[a-z0-9]+$',
      description: 'RDS instance class, e.g. db.t4g.micro, db.m7g.large',
    }),
    allocatedStorageGb: Type.Integer({
      default: 20,
      minimum: 20,
      maximum: 65536,
      description: 'Initial gp3 storage in GiB',
    }),
    maxAllocatedStorageGb: Type.Integer({
      default: 100,
      minimum: 20,
      maximum: 65536,
      description: 'Storage autoscaling ceiling in GiB',
    }),
    databaseName: Type.String({
      default: 'app',
      pattern: IDENTIFIER,
      description: 'Name of the database created on the instance',
    }),
    username: Type.String({
      default: 'app_admin',
      pattern: IDENTIFIER,
      description: 'Master user name',
    }),
    multiAz: Type.Boolean({
      default: false,
      description: 'Standby in a second AZ with automatic failover (always on in prod)',
    }),
    storageEncrypted: Type.Boolean({
      default: true,
      description: 'Encrypt storage and snapshots with KMS (always on in prod)',
    }),
    deletionProtection: Type.Boolean({
      default: false,
      description: 'Refuse deletion until turned off (always on in prod)',
    }),
    backupRetentionDays: Type.Integer({
      default: 1,
      minimum: 0,
      maximum: 35,
      description: `Days of automated backups and point-in-time recovery (prod: at least ${PROD_MIN_BACKUP_DAYS})`,
    }),
    backupWindow: Type.String({
      default: '03:00-04:00',
      pattern: '^([01]\\d|2[0-3]):[0-5]\\d-([01]\\d|2[0-3]):[0-5]\\d$',
      description: 'Daily backup window, UTC, hh:mm-hh:mm',
    }),
    maintenanceWindow: Type.String({
      default: 'sun:04:30-sun:05:30',
      pattern:
        '^(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d-(mon|tue|wed|thu|fri|sat|sun):([01]\\d|2[0-3]):[0-5]\\d$',
      description: 'Weekly maintenance window, UTC, ddd:hh:mm-ddd:hh:mm',
    }),
    finalSnapshot: Type.Boolean({
      default: false,
      description: 'Take a snapshot when the database is destroyed (always on in prod)',
    }),
    performanceInsights: Type.Boolean({
      default: false,
      description: 'Enable Performance Insights',
    }),
    cache: Type.Object(
      {
        enabled: Type.Boolean({
          default: false,
          description: 'Create an ElastiCache Redis replication group',
        }),
        engineVersion: Type.Union([Type.Literal('7.1'), Type.Literal('7.0')], {
          default: '7.1',
          description: 'Redis engine version',
        }),
        nodeType: Type.String({
          default: 'cache.t4g.micro',
          pattern: '^cache\\.[a-z0-9]+\\.[a-z0-9]+$',
          description: 'Cache node type, e.g. cache.t4g.micro, cache.t3.medium',
        }),
        replicas: Type.Integer({
          default: 0,
          minimum: 0,
          maximum: 5,
          description:
            'Read replicas besides the primary; 1 or more turns on failover and multi-AZ (prod: at least 1)',
        }),
        snapshotRetentionDays: Type.Integer({
          default: 1,
          minimum: 0,
          maximum: 35,
          description: 'Days of daily cache snapshots',
        }),
      },
      {
        additionalProperties: false,
        default: {},
        description: 'Redis cache (replaced as a whole when set)',
      },
    ),
  },
  { additionalProperties: false },
);

export const awsData = defineLayer({
  target: 'aws',
  layer: 'data',
  description:
    'RDS PostgreSQL in the database subnets (generated password, TLS only) and an optional ElastiCache Redis replication group',
  config: awsDataConfig,
  presets: {
    dev: { instanceClass: 'db.t4g.micro', backupRetentionDays: 1 },
    staging: {
      instanceClass: 'db.t4g.medium',
      allocatedStorageGb: 50,
      maxAllocatedStorageGb: 200,
      backupRetentionDays: 7,
    },
    prod: {
      instanceClass: 'db.m7g.large',
      allocatedStorageGb: 100,
      maxAllocatedStorageGb: 1000,
      backupRetentionDays: 14,
      performanceInsights: true,
    },
  },
  enforced: {
    prod: { storageEncrypted: true, multiAz: true, deletionProtection: true, finalSnapshot: true },
  },
  outputs: [
    { name: 'host', env: 'DB_HOST', description: 'PostgreSQL host name' },
    { name: 'port', env: 'DB_PORT', description: 'PostgreSQL port' },
    { name: 'database', env: 'DB_NAME', description: 'Database name' },
    { name: 'username', env: 'DB_USER', description: 'Database user' },
    { name: 'password', env: 'DB_PASSWORD', secret: true, description: 'Database password' },
    {
      name: 'url',
      env: 'DATABASE_URL',
      secret: true,
      description: 'postgres:// URL with credentials, sslmode=require',
    },
    {
      name: 'redisUrl',
      env: 'REDIS_URL',
      secret: true,
      description: 'rediss:// URL with the AUTH token, when the cache is enabled',
    },
  ],
  program: (args) => async () => {
    const cfg = args.config;
    const prod = args.stage === 'prod';
    const provider = awsProvider(args, 'data', layerRegion(args, cfg.region));
    const opts = { providers: [provider] };
    const databaseSubnetIds = dependencyOutput<string[]>(args, 'network', 'databaseSubnetIds');

    const db = new AwsPostgres(
      `${args.environment}-db`,
      {
        ...cfg,
        // `enforced` can only pin a value; a floor has to be applied here.
        backupRetentionDays: prod
          ? Math.max(cfg.backupRetentionDays, PROD_MIN_BACKUP_DAYS)
          : cfg.backupRetentionDays,
        subnetIds: databaseSubnetIds,
        securityGroupId: dependencyOutput(args, 'network', 'databaseSecurityGroupId'),
      },
      opts,
    );
    const host = db.instance.address;
    const port = db.instance.port;
    const url = pulumi.secret(
      pulumi.interpolate`postgres://${encodeURIComponent(cfg.username)}:${db.password.apply(encodeURIComponent)}@${host}:${port}/${cfg.databaseName}?sslmode=require`,
    );

    const outputs: Record<string, unknown> = {
      host,
      port,
      database: cfg.databaseName,
      username: cfg.username,
      password: pulumi.secret(db.password),
      url,
    };
    if (cfg.cache.enabled) {
      const cache = new AwsRedis(
        `${args.environment}-cache`,
        {
          ...cfg.cache,
          replicas: prod ? Math.max(cfg.cache.replicas, 1) : cfg.cache.replicas,
          subnetIds: databaseSubnetIds,
          securityGroupId: dependencyOutput(args, 'network', 'cacheSecurityGroupId'),
        },
        opts,
      );
      outputs.redisUrl = pulumi.secret(
        pulumi.interpolate`rediss://:${cache.authToken}@${cache.group.primaryEndpointAddress}:${REDIS_PORT}`,
      );
    }
    return outputs;
  },
});
