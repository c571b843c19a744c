import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { LayerName, Stage } from '../../core/domain';
import { planBlueprint, type BlueprintPlan } from '../../programs/blueprint-plan';
import { querygptAws } from '../../programs/blueprints/querygpt-aws';
import { findLayer } from '../../programs/catalogue';
import { ConfigError, resolveLayerConfig } from '../../programs/config';
import { MASK, type PlannedResource } from '../../programs/plan';

// PostgreSQL, Redis, and Qdrant (the seed's vector database: HTTP and gRPC).
const DATA_PORTS = [5432, 6379, 6333, 6334];
const plans = new Map<Stage, BlueprintPlan>();

/** Plans run one at a time: the Pulumi mock runtime is process-global. */
async function planFor(stage: Stage): Promise<BlueprintPlan> {
  const known = plans.get(stage);
  if (known) return known;
  const plan = await planBlueprint(querygptAws, stage);
  plans.set(stage, plan);
  return plan;
}

const ofType = (plan: BlueprintPlan, type: string): PlannedResource[] =>
  plan.resources.filter((r) => r.type === type);

const covers = (from: unknown, to: unknown, port: number) =>
  typeof from === 'number' && typeof to === 'number' && from <= port && port <= to;

function assertDataPortsClosedToInternet(plan: BlueprintPlan) {
  for (const rule of ofType(plan, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule')) {
    if (rule.inputs.cidrIpv4 !== '0.0.0.0/0' && rule.inputs.cidrIpv6 !== '::/0') continue;
    for (const port of DATA_PORTS) {
      assert.ok(
        rule.inputs.ipProtocol !== '-1' && !covers(rule.inputs.fromPort, rule.inputs.toPort, port),
        `${rule.name} opens ${port} to the internet`,
      );
    }
  }
  for (const group of ofType(plan, 'aws:ec2/securityGroup:SecurityGroup')) {
    for (const ingress of (group.inputs.ingress ?? []) as Record<string, unknown>[]) {
      const open =
        ((ingress.cidrBlocks ?? []) as string[]).includes('0.0.0.0/0') ||
        ((ingress.ipv6CidrBlocks ?? []) as string[]).includes('::/0');
      for (const port of DATA_PORTS) {
        assert.ok(
          !(open && (ingress.protocol === '-1' || covers(ingress.fromPort, ingress.toPort, port))),
          `${group.name} ${port}`,
        );
      }
    }
  }
  // Nor is the database itself given a public address.
  for (const db of ofType(plan, 'aws:rds/instance:Instance')) {
    assert.notEqual(db.inputs.publiclyAccessible, true, `${db.name} is not publicly accessible`);
  }
}

function assertBucketsPrivate(plan: BlueprintPlan) {
  const buckets = ofType(plan, 'aws:s3/bucket:Bucket');
  assert.ok(buckets.length > 0);
  for (const bucket of buckets) {
    const block = ofType(plan, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock').find(
      (b) => b.inputs.bucket === `${bucket.name}-id`,
    );
    assert.ok(block, `${bucket.name} has a public access block`);
    for (const flag of [
      'blockPublicAcls',
      'blockPublicPolicy',
      'ignorePublicAcls',
      'restrictPublicBuckets',
    ]) {
      assert.equal(block.inputs[flag], true, `${bucket.name} ${flag}`);
    }
  }
}

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
    assertDataPortsClosedToInternet(plan);
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
  const [db] = ofType(plan, 'aws:rds/instance:Instance');
  assert.equal(db?.inputs.storageEncrypted, true);
  assert.equal(db?.inputs.multiAz, true);
  assert.equal(db?.inputs.deletionProtection, true);
  assert.ok(Number(db?.inputs.backupRetentionPeriod) >= 7);
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
const BAD: Partial<Record<LayerName, [string, unknown, string][]>> = {
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
  for (const [layer, spec] of Object.entries(querygptAws.layers) as [
    LayerName,
    { target: 'aws'; config?: Record<string, unknown> },
  ][]) {
    const definition = findLayer(spec.target, layer);
    assert.ok(definition, `${layer} is in the catalogue`);
    const cases = BAD[layer];
    assert.ok(cases, `bad values listed for ${layer}`);
    for (const [field, value, named] of cases) {
      assert.throws(
        () => resolveLayerConfig(definition, 'prod', { ...spec.config, [field]: value }),
        (e: unknown) =>
          e instanceof ConfigError && e.message.includes(`layers.${layer}.config.${named}`),
        `${layer}.${field}=${JSON.stringify(value)} is refused`,
      );
    }
  }
});
