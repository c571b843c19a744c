import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '../../../core/domain';
import type { BlueprintPlan } from '../../../catalogue/blueprint-plan';
import { querygptAws } from '../../../programs/blueprints/querygpt-aws';
import { MASK } from '../../../catalogue/offline-plan';
import {
  assertBucketsPrivate,
  assertDataPortsClosedToInternet,
  assertProdDatabaseProtected,
} from '../../helpers/aws-safety';
import { assertEachLayerRefuses, type BadValues } from '../../helpers/config-errors';
import { blueprintPlans, ofType } from '../../helpers/plans';

// PostgreSQL, Redis, and Qdrant (the seed's vector database: HTTP and gRPC).
const DATA_PORTS = [5432, 6379, 6333, 6334];
const planFor = blueprintPlans(querygptAws);

/** planBlueprint names the environment plan-<stage>, and services <environment>-<name>. */
const serviceNamed = (plan: BlueprintPlan, stage: Stage, name: string) =>
  ofType(plan, 'aws:ecs/service:Service').find((s) => s.name === `plan-${stage}-${name}`);

for (const stage of ['dev', 'prod'] as const) {
  test(`${stage}: the seed's load balancer, LLM, vector database, backend, frontend, storage and alarms are planned`, async () => {
    const plan = await planFor(stage);
    for (const type of [
      'aws:ec2/vpc:Vpc',
      'aws:ec2/securityGroup:SecurityGroup',
      'aws:lb/loadBalancer:LoadBalancer',
      'aws:wafv2/webAclAssociation:WebAclAssociation',
      'aws:ecs/cluster:Cluster',
      'aws:rds/instance:Instance',
      'aws:s3/bucketVersioning:BucketVersioning',
      'aws:cloudwatch/metricAlarm:MetricAlarm',
    ]) {
      assert.ok(ofType(plan, type).length > 0, `${stage} plan has ${type}`);
    }
    assert.deepEqual(
      ofType(plan, 'aws:ecs/service:Service')
        .map((s) => s.name)
        .sort(),
      ['backend', 'frontend', 'ollama', 'qdrant'].map((n) => `plan-${stage}-${n}`),
    );
    assert.equal(
      new Set(ofType(plan, 'aws:ec2/subnet:Subnet').map((s) => s.inputs.availabilityZone)).size >=
        2,
      true,
    );
    // Ollama's models and Qdrant's collections survive task restarts on EFS.
    assert.equal(ofType(plan, 'aws:efs/fileSystem:FileSystem').length, 2);
    // Only the frontend and the backend are reachable through the load balancer.
    assert.deepEqual(
      ofType(plan, 'aws:lb/targetGroup:TargetGroup')
        .map((t) => t.name)
        .sort(),
      [`plan-${stage}-backend`, `plan-${stage}-frontend`],
    );
    const latency = ofType(plan, 'aws:cloudwatch/metricAlarm:MetricAlarm').find((a) =>
      a.name.endsWith('p95-latency'),
    );
    assert.equal(latency?.inputs.namespace, 'AWS/ApplicationELB');
  });

  test(`${stage}: safety holds`, async () => {
    const plan = await planFor(stage);
    assertDataPortsClosedToInternet(plan, DATA_PORTS);
    assertBucketsPrivate(plan);
    const privateSubnets = plan.outputs.network?.privateSubnetIds?.value as string[];
    for (const service of ofType(plan, 'aws:ecs/service:Service')) {
      const network = service.inputs.networkConfiguration as Record<string, unknown>;
      assert.equal(network.assignPublicIp, false);
      for (const subnet of network.subnets as string[]) {
        assert.ok(privateSubnets.includes(subnet), `${service.name} runs in private subnets`);
      }
    }
    const [db] = ofType(plan, 'aws:rds/instance:Instance');
    assert.equal(db?.inputs.password, MASK);
    assert.equal(db?.inputs.storageEncrypted, true);
    for (const parameter of ofType(plan, 'aws:ssm/parameter:Parameter')) {
      assert.equal(parameter.inputs.value, MASK, `${parameter.name} is secret`);
    }
    for (const name of ['password', 'url']) {
      assert.equal(plan.outputs.data?.[name]?.secret, true, `data.${name} is secret`);
    }
    for (const name of ['accessKey', 'secretKey']) {
      assert.equal(plan.outputs.storage?.[name]?.secret, true, `storage.${name} is secret`);
    }
  });
}

test('prod: multi-AZ encrypted protected database with 7+ days of backups, NAT per AZ, two web tasks and LLMs', async () => {
  const plan = await planFor('prod');
  assertProdDatabaseProtected(plan);
  // The vector database keeps its collections on EFS: encrypted and backed up too.
  const fileSystems = ofType(plan, 'aws:efs/fileSystem:FileSystem');
  assert.ok(fileSystems.some((f) => f.name === 'plan-prod-qdrant'));
  for (const fs of fileSystems) {
    assert.equal(fs.inputs.encrypted, true, `${fs.name} is encrypted`);
    const policy = ofType(plan, 'aws:efs/backupPolicy:BackupPolicy').find(
      (b) => b.inputs.fileSystemId === `${fs.name}-id`,
    );
    assert.deepEqual(policy?.inputs.backupPolicy, { status: 'ENABLED' }, `${fs.name} backups`);
  }
  assert.equal(ofType(plan, 'aws:ec2/natGateway:NatGateway').length, 3);
  assert.equal(serviceNamed(plan, 'prod', 'backend')?.inputs.desiredCount, 2);
  assert.equal(serviceNamed(plan, 'prod', 'ollama')?.inputs.desiredCount, 2);
  assert.equal(serviceNamed(plan, 'prod', 'qdrant')?.inputs.desiredCount, 1);
  console.log(`querygpt-aws prod plan: ${plan.resources.length} resources`);
});

test('dev: one NAT, one task per service, single-AZ database', async () => {
  const plan = await planFor('dev');
  assert.equal(ofType(plan, 'aws:ec2/natGateway:NatGateway').length, 1);
  assert.equal(serviceNamed(plan, 'dev', 'backend')?.inputs.desiredCount, 1);
  const [db] = ofType(plan, 'aws:rds/instance:Instance');
  assert.equal(db?.inputs.multiAz, false);
  console.log(`querygpt-aws dev plan: ${plan.resources.length} resources`);
});

/** One bad value per kind for a field of each layer the blueprint uses. */
const BAD: BadValues = {
  network: [
    ['natGateways', true, 'natGateways'],
    ['flowLogRetentionDays', 0, 'flowLogRetentionDays'],
    ['ipv6', true, 'ipv6'],
  ],
  data: [
    ['allocatedStorageGb', 'big', 'allocatedStorageGb'],
    ['allocatedStorageGb', 5, 'allocatedStorageGb'],
    ['replicas', 2, 'replicas'],
  ],
  storage: [
    ['accessLogging', 'on', 'accessLogging'],
    ['noncurrentVersionExpirationDays', 0, 'noncurrentVersionExpirationDays'],
    ['replicationRegion', 'us-east-1', 'replicationRegion'],
  ],
  compute: [
    ['services', 'frontend', 'services'],
    ['services', [{ name: 'llm', image: 'ollama', port: 11434, cpu: 3000 }], 'services[0].cpu'],
    ['gpu', true, 'gpu'],
  ],
  observability: [
    ['dashboard', 'yes', 'dashboard'],
    ['errorRatePercent', 150, 'errorRatePercent'],
    ['slack', '#ops', 'slack'],
  ],
};

test('each layer of the blueprint refuses a wrong type, an out-of-range value and an unknown field', () => {
  assertEachLayerRefuses(querygptAws, BAD);
});
