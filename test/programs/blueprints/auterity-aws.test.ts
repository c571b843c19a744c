import assert from 'node:assert/strict';
import { test } from 'node:test';
import { auterityAws } from '../../../programs/blueprints/auterity-aws';
import { MASK } from '../../../catalogue/offline-plan';
import {
  assertBucketsPrivate,
  assertDataPortsClosedToInternet,
  assertProdDatabaseProtected,
} from '../../helpers/aws-safety';
import { assertEachLayerRefuses, type BadValues } from '../../helpers/config-errors';
import { blueprintPlans, ofType } from '../../helpers/plans';

const DATA_PORTS = [5432, 6379];
const planFor = blueprintPlans(auterityAws);

for (const stage of ['dev', 'prod'] as const) {
  test(`${stage}: the seed's VPC, EKS, RDS, S3, ElastiCache and WAF are planned`, async () => {
    const plan = await planFor(stage);
    for (const type of [
      'aws:ec2/vpc:Vpc',
      'aws:ec2/natGateway:NatGateway',
      'aws:ec2/flowLog:FlowLog',
      'aws:wafv2/webAcl:WebAcl',
      'eks:index:Cluster',
      'eks:index:ManagedNodeGroup',
      'aws:rds/instance:Instance',
      'aws:elasticache/replicationGroup:ReplicationGroup',
      'aws:s3/bucketVersioning:BucketVersioning',
      'aws:s3/bucketLifecycleConfiguration:BucketLifecycleConfiguration',
      'aws:s3/bucketLogging:BucketLogging',
      'aws:cloudwatch/metricAlarm:MetricAlarm',
      'aws:sns/topic:Topic',
    ]) {
      assert.ok(ofType(plan, type).length > 0, `${stage} plan has ${type}`);
    }
    const [provider] = ofType(plan, 'pulumi:providers:aws');
    assert.equal(provider?.inputs.region, 'us-west-2');
    const [cluster] = ofType(plan, 'eks:index:Cluster');
    assert.equal(cluster?.inputs.version, '1.35');
    const [db] = ofType(plan, 'aws:rds/instance:Instance');
    assert.equal(db?.inputs.engineVersion, '17');
    assert.ok(plan.env.includes('DATABASE_URL') && plan.env.includes('REDIS_URL'));
  });

  test(`${stage}: safety holds`, async () => {
    const plan = await planFor(stage);
    assertDataPortsClosedToInternet(plan, DATA_PORTS);
    assertBucketsPrivate(plan);
    const privateSubnets = plan.outputs.network?.privateSubnetIds?.value as string[];
    // No default node group (it would not follow these rules) and no public node addresses.
    const [cluster] = ofType(plan, 'eks:index:Cluster');
    assert.equal(cluster?.inputs.skipDefaultNodeGroup, true);
    assert.equal(cluster?.inputs.nodeAssociatePublicIpAddress, false);
    assert.ok(ofType(plan, 'eks:index:ManagedNodeGroup').length > 0);
    for (const group of ofType(plan, 'eks:index:ManagedNodeGroup')) {
      const subnets = group.inputs.subnetIds as string[];
      assert.ok(subnets.length > 0);
      for (const subnet of subnets)
        assert.ok(privateSubnets.includes(subnet), `${subnet} is private`);
    }
    const [db] = ofType(plan, 'aws:rds/instance:Instance');
    assert.equal(db?.inputs.password, MASK);
    assert.equal(db?.inputs.storageEncrypted, true);
    const [redis] = ofType(plan, 'aws:elasticache/replicationGroup:ReplicationGroup');
    assert.equal(redis?.inputs.authToken, MASK);
    assert.equal(redis?.inputs.transitEncryptionEnabled, true);
    assert.equal(redis?.inputs.atRestEncryptionEnabled, true);
    for (const name of ['password', 'url', 'redisUrl']) {
      assert.equal(plan.outputs.data?.[name]?.secret, true, `data.${name} is secret`);
    }
    for (const name of ['accessKey', 'secretKey']) {
      assert.equal(plan.outputs.storage?.[name]?.secret, true, `storage.${name} is secret`);
    }
    assert.equal(plan.outputs.compute?.kubeconfig?.secret, true);
  });
}

test("prod is the seed's recommended configuration", async () => {
  const plan = await planFor('prod');
  assertProdDatabaseProtected(plan);
  const [db] = ofType(plan, 'aws:rds/instance:Instance');
  assert.equal(db?.inputs.instanceClass, 'db.t3.large');
  assert.equal(db?.inputs.allocatedStorage, 100);
  assert.equal(ofType(plan, 'aws:ec2/natGateway:NatGateway').length, 3);
  assert.deepEqual(
    ofType(plan, 'aws:ec2/subnet:Subnet')
      .map((s) => s.inputs.availabilityZone)
      .filter((z, i, all) => all.indexOf(z) === i),
    ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  );
  const [group] = ofType(plan, 'eks:index:ManagedNodeGroup');
  assert.deepEqual(group?.inputs.scalingConfig, { minSize: 3, maxSize: 10, desiredSize: 3 });
  assert.deepEqual(group?.inputs.instanceTypes, ['m5.large', 'm5a.large', 'm5n.large']);
  const [redis] = ofType(plan, 'aws:elasticache/replicationGroup:ReplicationGroup');
  assert.equal(redis?.inputs.numCacheClusters, 2);
  assert.equal(redis?.inputs.multiAzEnabled, true);
  assert.equal(redis?.inputs.automaticFailoverEnabled, true);
  assert.ok(Number(redis?.inputs.snapshotRetentionLimit) >= 7);
  const [acl] = ofType(plan, 'aws:wafv2/webAcl:WebAcl');
  assert.match(JSON.stringify(acl?.inputs.rules), /AWSManagedRulesSQLiRuleSet/);
  assert.match(JSON.stringify(acl?.inputs.rules), /"limit":1000/);
  console.log(`auterity-aws prod plan: ${plan.resources.length} resources`);
});

test('dev is smaller: two AZs, one NAT, t3.medium nodes 1-3, single-AZ database', async () => {
  const plan = await planFor('dev');
  assert.equal(ofType(plan, 'aws:ec2/natGateway:NatGateway').length, 1);
  const [group] = ofType(plan, 'eks:index:ManagedNodeGroup');
  assert.deepEqual(group?.inputs.scalingConfig, { minSize: 1, maxSize: 3, desiredSize: 1 });
  assert.deepEqual(group?.inputs.instanceTypes, ['t3.medium']);
  const [db] = ofType(plan, 'aws:rds/instance:Instance');
  assert.equal(db?.inputs.multiAz, false);
  console.log(`auterity-aws dev plan: ${plan.resources.length} resources`);
});

/** One bad value per kind for a field of each layer the blueprint uses. */
const BAD: BadValues = {
  network: [
    ['azCount', 'three', 'azCount'],
    ['azCount', 9, 'azCount'],
    ['subnets', [], 'subnets'],
  ],
  data: [
    ['multiAz', 'yes', 'multiAz'],
    ['backupRetentionDays', 90, 'backupRetentionDays'],
    ['storageType', 'io2', 'storageType'],
  ],
  storage: [
    ['expirationDays', '365', 'expirationDays'],
    ['transitionToIaDays', 7, 'transitionToIaDays'],
    ['acl', 'public-read', 'acl'],
  ],
  compute: [
    ['nodeDesiredSize', 2.5, 'nodeDesiredSize'],
    ['nodeMaxSize', 1000, 'nodeMaxSize'],
    ['autoscaler', true, 'autoscaler'],
  ],
  observability: [
    ['errorEvaluationMinutes', '2m', 'errorEvaluationMinutes'],
    ['p95LatencyMs', 0, 'p95LatencyMs'],
    ['grafana', true, 'grafana'],
  ],
};

test('each layer of the blueprint refuses a wrong type, an out-of-range value and an unknown field', () => {
  assertEachLayerRefuses(auterityAws, BAD);
});
