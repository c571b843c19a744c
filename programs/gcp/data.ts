import * as gcp from '@pulumi/gcp';
import * as pulumi from '@pulumi/pulumi';
import * as random from '@pulumi/random';
import { Type } from '@sinclair/typebox';
import { failOn } from '../lib/config';
import { defineLayer, optionalDependencyOutput } from '../lib/types';
import { gcpCommon, gcpName } from './common';

const IDENTIFIER = '^[a-z_][a-z0-9_]{0,62}$';

/** A data layer with neither database would provision nothing. */
function engineProblems(c: { postgres: boolean; firestore: boolean }): string[] {
  return c.postgres || c.firestore
    ? []
    : ['layers.data.config: enable postgres, firestore or both'];
}

export const gcpData = defineLayer({
  target: 'gcp',
  layer: 'data',
  description:
    'Cloud SQL for PostgreSQL on a private address only (no public IP, no authorized networks, TLS required), with automated backups and point-in-time recovery; optionally a Firestore database.',
  config: Type.Object(
    {
      ...gcpCommon,
      postgres: Type.Boolean({
        default: true,
        description: 'Create the Cloud SQL PostgreSQL instance.',
      }),
      databaseVersion: Type.Union(
        [Type.Literal('POSTGRES_15'), Type.Literal('POSTGRES_16'), Type.Literal('POSTGRES_17')],
        {
          default: 'POSTGRES_17',
          description: 'PostgreSQL version (releases Cloud SQL supports).',
        },
      ),
      tier: Type.String({
        pattern: '^db-(f1-micro|g1-small|custom-\\d+-\\d+|perf-optimized-N-\\d+)$',
        default: 'db-g1-small',
        description: 'Machine tier, e.g. db-g1-small, db-custom-2-7680.',
      }),
      availabilityType: Type.Union([Type.Literal('ZONAL'), Type.Literal('REGIONAL')], {
        default: 'ZONAL',
        description: 'REGIONAL: a standby in a second zone with automatic failover.',
      }),
      diskSize: Type.Integer({
        minimum: 10,
        maximum: 65536,
        default: 10,
        description: 'Initial disk size, GB (grows automatically).',
      }),
      databaseName: Type.String({
        pattern: IDENTIFIER,
        default: 'app',
        description: 'Database to create.',
      }),
      username: Type.String({ pattern: IDENTIFIER, default: 'app', description: 'Login user.' }),
      backups: Type.Boolean({
        default: true,
        description: 'Daily automated backups with point-in-time recovery.',
      }),
      backupRetentionDays: Type.Integer({
        minimum: 1,
        maximum: 365,
        default: 7,
        description: 'Automated backups kept.',
      }),
      deletionProtection: Type.Boolean({
        default: false,
        description: 'Refuse to delete the instance / Firestore database.',
      }),
      firestore: Type.Boolean({
        default: false,
        description: 'Create a Firestore (native mode) database.',
      }),
      firestoreName: Type.String({
        pattern: '^(\\(default\\)|[a-z][a-z0-9-]{2,61}[a-z0-9])$',
        default: '(default)',
        description: 'Firestore database ID.',
      }),
      firestoreLocation: Type.String({
        pattern: '^[a-z0-9-]+$',
        default: 'eur3',
        description: 'Firestore location, e.g. eur3, nam5, europe-west1.',
      }),
    },
    { additionalProperties: false },
  ),
  presets: {
    dev: { tier: 'db-g1-small', backupRetentionDays: 1 },
    prod: { tier: 'db-custom-2-7680', diskSize: 50, backupRetentionDays: 14 },
  },
  enforced: { prod: { backups: true, deletionProtection: true, availabilityType: 'REGIONAL' } },
  outputs: [
    { name: 'host', env: 'DB_HOST', description: 'Private address of the instance.' },
    { name: 'port', env: 'DB_PORT', description: 'PostgreSQL port.' },
    { name: 'database', env: 'DB_NAME', description: 'Database name.' },
    { name: 'username', env: 'DB_USER', description: 'Login user.' },
    {
      name: 'password',
      env: 'DB_PASSWORD',
      secret: true,
      description: 'Password of the login user.',
    },
    {
      name: 'url',
      env: 'DATABASE_URL',
      secret: true,
      description: 'postgres:// URL (sslmode=require).',
    },
    {
      name: 'connectionName',
      env: 'CLOUDSQL_CONNECTION_NAME',
      description: 'project:region:instance, for the Cloud SQL connectors.',
    },
    { name: 'firestoreDatabase', env: 'FIRESTORE_DATABASE', description: 'Firestore database ID.' },
  ],
  check: engineProblems,
  program: (args) => async () => {
    const c = args.config;
    failOn(engineProblems(c));
    const project = c.project;
    const outputs: Record<string, unknown> = {};
    if (c.postgres) {
      const networkId = optionalDependencyOutput(args, 'network', 'networkId');
      if (!networkId) {
        throw new Error(
          'data: Cloud SQL gets a private address only, so it needs a gcp network layer',
        );
      }
      const instance = new gcp.sql.DatabaseInstance('postgres', {
        name: gcpName(args.environment, 'pg'),
        region: c.region,
        databaseVersion: c.databaseVersion,
        deletionProtection: c.deletionProtection,
        project,
        settings: {
          tier: c.tier,
          // Shared-core and custom tiers need the Enterprise edition.
          edition: 'ENTERPRISE',
          availabilityType: c.availabilityType,
          diskSize: c.diskSize,
          diskAutoresize: true,
          deletionProtectionEnabled: c.deletionProtection,
          ipConfiguration: {
            ipv4Enabled: false,
            privateNetwork: networkId,
            sslMode: 'ENCRYPTED_ONLY',
            authorizedNetworks: [],
          },
          backupConfiguration: {
            enabled: c.backups,
            pointInTimeRecoveryEnabled: c.backups,
            startTime: '02:00',
            backupRetentionSettings: {
              retainedBackups: c.backupRetentionDays,
              retentionUnit: 'COUNT',
            },
          },
          userLabels: { 'strata-environment': args.environment },
        },
      });
      new gcp.sql.Database('database', { name: c.databaseName, instance: instance.name, project });
      const password = new random.RandomPassword('db-password', { length: 32, special: false });
      const secretPassword = pulumi.secret(password.result);
      new gcp.sql.User('user', {
        name: c.username,
        instance: instance.name,
        password: secretPassword,
        project,
      });
      Object.assign(outputs, {
        host: instance.privateIpAddress,
        port: 5432,
        database: c.databaseName,
        username: c.username,
        password: secretPassword,
        url: pulumi.secret(
          pulumi.interpolate`postgres://${c.username}:${password.result}@${instance.privateIpAddress}:5432/${c.databaseName}?sslmode=require`,
        ),
        connectionName: instance.connectionName,
      });
    }
    if (c.firestore) {
      const firestore = new gcp.firestore.Database('firestore', {
        name: c.firestoreName,
        locationId: c.firestoreLocation,
        type: 'FIRESTORE_NATIVE',
        concurrencyMode: 'OPTIMISTIC',
        pointInTimeRecoveryEnablement: c.backups
          ? 'POINT_IN_TIME_RECOVERY_ENABLED'
          : 'POINT_IN_TIME_RECOVERY_DISABLED',
        deleteProtectionState: c.deletionProtection
          ? 'DELETE_PROTECTION_ENABLED'
          : 'DELETE_PROTECTION_DISABLED',
        deletionPolicy: c.deletionProtection ? 'ABANDON' : 'DELETE',
        project,
      });
      outputs.firestoreDatabase = firestore.name;
      if (c.backups) {
        new gcp.firestore.BackupSchedule('firestore-backups', {
          database: firestore.name,
          // Firestore keeps daily backups at most 7 days.
          retention: `${Math.min(c.backupRetentionDays, 7) * 86400}s`,
          dailyRecurrence: {},
          project,
        });
      }
    }
    return outputs;
  },
});
