import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '../../../core/domain';
import { awsData } from '../../../programs/aws/data';
import { awsNetwork } from '../../../programs/aws/network';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { MASK, planLayers } from '../../../catalogue/offline-plan';
import { refused } from '../../helpers/config-errors';
import { one } from '../../helpers/plans';

async function plan(stage: Stage, config: Record<string, unknown> = {}, withNetwork = true) {
  return planLayers('db', stage, [
    ...(withNetwork
      ? [
          {
            layer: 'network' as const,
            definition: awsNetwork,
            config: resolveLayerConfig(awsNetwork, stage, {}),
          },
        ]
      : []),
    { layer: 'data', definition: awsData, config: resolveLayerConfig(awsData, stage, config) },
  ]);
}

test('dev: small encrypted PostgreSQL in the database subnets behind the database security group', async () => {
  const { resources, outputs } = await plan('dev');
  const db = one(resources, 'aws:rds/instance:Instance').inputs;
  assert.equal(db.engine, 'postgres');
  assert.equal(db.engineVersion, '17');
  assert.equal(db.instanceClass, 'db.t4g.micro');
  assert.equal(db.storageEncrypted, true);
  assert.equal(db.multiAz, false);
  assert.equal(db.deletionProtection, false);
  assert.equal(db.skipFinalSnapshot, true);
  assert.equal(db.publiclyAccessible, false);
  assert.equal(db.password, MASK);
  assert.deepEqual(db.vpcSecurityGroupIds, ['db-database-id']);
  const subnets = one(resources, 'aws:rds/subnetGroup:SubnetGroup').inputs;
  assert.deepEqual(subnets.subnetIds, ['db-database-0-id', 'db-database-1-id']);
  const params = one(resources, 'aws:rds/parameterGroup:ParameterGroup').inputs;
  assert.equal(params.family, 'postgres17');
  assert.deepEqual((params.parameters as { name: string }[])[0], {
    name: 'rds.force_ssl',
    value: '1',
  });
  assert.equal(resources.filter((r) => r.type.startsWith('aws:elasticache')).length, 0);

  const data = outputs.data ?? {};
  assert.deepEqual(
    Object.entries(data).map(([name, o]) => [name, o.secret]),
    [
      ['host', false],
      ['port', false],
      ['database', false],
      ['username', false],
      ['password', true],
      ['url', true],
    ],
  );
  assert.match(
    String(data.url?.value),
    /^postgres:\/\/app_admin:.*@.*:5432\/app\?sslmode=require$/,
  );
});

test('prod refuses to be weakened: encryption, multi-AZ, deletion protection, final snapshot, 7-day backups', async () => {
  const { resources } = await plan('prod', {
    storageEncrypted: false,
    multiAz: false,
    deletionProtection: false,
    finalSnapshot: false,
    backupRetentionDays: 1,
  });
  const db = one(resources, 'aws:rds/instance:Instance').inputs;
  assert.equal(db.storageEncrypted, true);
  assert.equal(db.multiAz, true);
  assert.equal(db.deletionProtection, true);
  assert.equal(db.skipFinalSnapshot, false);
  assert.equal(db.backupRetentionPeriod, 7);
});

test('prod keeps a longer backup retention when asked', async () => {
  const { resources } = await plan('prod', { backupRetentionDays: 21, engineVersion: '16.4' });
  const db = one(resources, 'aws:rds/instance:Instance').inputs;
  assert.equal(db.backupRetentionPeriod, 21);
  assert.equal(one(resources, 'aws:rds/parameterGroup:ParameterGroup').inputs.family, 'postgres16');
});

test('cache: encrypted Redis with a secret AUTH token, in the database subnets, cache security group; prod gets a replica', async () => {
  const { resources, outputs } = await plan('prod', { cache: { enabled: true } });
  const redis = one(resources, 'aws:elasticache/replicationGroup:ReplicationGroup').inputs;
  assert.equal(redis.atRestEncryptionEnabled, true);
  assert.equal(redis.transitEncryptionEnabled, true);
  assert.equal(redis.authToken, MASK);
  assert.deepEqual(redis.securityGroupIds, ['db-cache-id']);
  assert.equal(redis.numCacheClusters, 2);
  assert.equal(redis.multiAzEnabled, true);
  assert.equal(redis.automaticFailoverEnabled, true);
  const subnets = one(resources, 'aws:elasticache/subnetGroup:SubnetGroup').inputs;
  assert.deepEqual(subnets.subnetIds, ['db-database-0-id', 'db-database-1-id', 'db-database-2-id']);
  assert.equal(outputs.data?.redisUrl?.secret, true);
  assert.match(String(outputs.data?.redisUrl?.value), /^rediss:\/\/:/);
});

test('dev cache is a single node without failover', async () => {
  const { resources } = await plan('dev', { cache: { enabled: true } });
  const redis = one(resources, 'aws:elasticache/replicationGroup:ReplicationGroup').inputs;
  assert.equal(redis.numCacheClusters, 1);
  assert.equal(redis.automaticFailoverEnabled, false);
});

test('without a network layer the data layer says what is missing', async () => {
  await assert.rejects(plan('dev', {}, false), /network layer/);
});

test('bad data config is refused, naming the field', () => {
  refused(awsData, { engineVersion: '13' }, 'layers.data.config.engineVersion');
  refused(awsData, { backupRetentionDays: 36 }, 'layers.data.config.backupRetentionDays');
  refused(awsData, { allocatedStorageGb: '20' }, 'layers.data.config.allocatedStorageGb');
  refused(awsData, { instanceClass: 'm5.large' }, 'layers.data.config.instanceClass');
  refused(awsData, { username: 'drop table' }, 'layers.data.config.username');
  refused(awsData, { cache: { enabled: true, replicas: 6 } }, 'layers.data.config.cache.replicas');
  refused(awsData, { cache: { enabled: true, shards: 2 } }, 'layers.data.config.cache.shards');
  refused(awsData, { engine: 'mysql' }, 'layers.data.config.engine');
});
