import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '../../../core/domain';
import { awsCompute } from '../../../programs/aws/compute';
import { awsData } from '../../../programs/aws/data';
import { awsNetwork } from '../../../programs/aws/network';
import { awsStorage } from '../../../programs/aws/storage';
import { resolveLayerConfig } from '../../../programs/lib/config';
import {
  MASK,
  planLayers,
  type PlannedLayer,
  type PlannedResource,
} from '../../../catalogue/offline-plan';
import { refused } from '../../helpers/config-errors';

const SERVICES = [
  { name: 'frontend', image: 'nginx:1.27', port: 80, public: true },
  { name: 'backend', image: 'api:1', port: 8000, public: true, pathPatterns: ['/api/*'] },
  {
    name: 'qdrant',
    image: 'qdrant/qdrant:v1.13.4',
    port: 6333,
    cpu: 1024,
    memory: 2048,
    persistentPath: '/qdrant/storage',
  },
];

async function plan(
  stage: Stage,
  compute: Record<string, unknown>,
  network: Record<string, unknown> = {},
) {
  const planned = (
    layer: PlannedLayer['layer'],
    definition: PlannedLayer['definition'],
    config = {},
  ): PlannedLayer => ({
    layer,
    definition,
    config: resolveLayerConfig(definition, stage, config),
  });
  return planLayers('cmp', stage, [
    planned('network', awsNetwork, network),
    planned('data', awsData, { cache: { enabled: true } }),
    planned('storage', awsStorage),
    planned('compute', awsCompute, compute),
  ]);
}

const inCompute = (resources: PlannedResource[], type: string) =>
  resources.filter((r) => r.layer === 'compute' && r.type === type);

test('eks dev: supported Kubernetes, managed node group of 1-3 in the private subnets only', async () => {
  const { resources, outputs } = await plan('dev', { mode: 'eks' });
  const [cluster] = inCompute(resources, 'eks:index:Cluster');
  assert.equal(cluster?.inputs.version, '1.35');
  assert.equal(cluster?.inputs.skipDefaultNodeGroup, true);
  assert.equal(cluster?.inputs.nodeAssociatePublicIpAddress, false);
  assert.equal(cluster?.inputs.encryptionConfigKeyArn, 'arn:mock:aws:kms/key:Key:cmp-eks-secrets');
  const groups = inCompute(resources, 'eks:index:ManagedNodeGroup');
  assert.equal(groups.length, 1);
  assert.deepEqual(groups[0]?.inputs.subnetIds, outputs.network?.privateSubnetIds?.value);
  assert.deepEqual(groups[0]?.inputs.scalingConfig, { minSize: 1, maxSize: 3, desiredSize: 1 });
  assert.deepEqual(groups[0]?.inputs.instanceTypes, ['t3.medium']);
  assert.equal(outputs.compute?.kubeconfig?.secret, true);
  assert.equal(outputs.compute?.clusterName?.value, 'cmp-eks');
  // Pods reach PostgreSQL and Redis through a security group rule, not a CIDR.
  const rules = inCompute(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
  assert.deepEqual(
    rules.map((r) => [r.inputs.securityGroupId, r.inputs.fromPort, r.inputs.cidrIpv4]),
    [
      ['cmp-database-id', 5432, undefined],
      ['cmp-cache-id', 6379, undefined],
    ],
  );
});

test('eks prod: 3-10 nodes of bigger instances, deletion protection', async () => {
  const { resources } = await plan('prod', { mode: 'eks', deletionProtection: false });
  const [group] = inCompute(resources, 'eks:index:ManagedNodeGroup');
  assert.deepEqual(group?.inputs.scalingConfig, { minSize: 3, maxSize: 10, desiredSize: 3 });
  assert.equal((group?.inputs.instanceTypes as string[]).includes('t3.medium'), false);
  const [cluster] = inCompute(resources, 'eks:index:Cluster');
  assert.equal(cluster?.inputs.deletionProtection, true);
});

test('node sizes out of order are an error naming the field', async () => {
  await assert.rejects(
    plan('dev', { mode: 'eks', nodeMinSize: 4, nodeMaxSize: 3, nodeDesiredSize: 3 }),
    /nodeMinSize/,
  );
});

test('ecs: ALB in public subnets with the WAF, services in private subnets, path routing, EFS for state', async () => {
  const { resources, outputs } = await plan(
    'dev',
    { mode: 'ecs', services: SERVICES },
    { waf: { enabled: true, rateLimitPerIp: 500 } },
  );
  const [alb] = inCompute(resources, 'aws:lb/loadBalancer:LoadBalancer');
  assert.deepEqual(alb?.inputs.subnets, outputs.network?.publicSubnetIds?.value);
  assert.deepEqual(alb?.inputs.securityGroups, ['cmp-alb-id']);
  const [association] = inCompute(resources, 'aws:wafv2/webAclAssociation:WebAclAssociation');
  assert.equal(association?.inputs.webAclArn, outputs.network?.wafAclArn?.value);

  const services = inCompute(resources, 'aws:ecs/service:Service');
  assert.equal(services.length, 3);
  for (const service of services) {
    const network = service.inputs.networkConfiguration as Record<string, unknown>;
    assert.deepEqual(network.subnets, outputs.network?.privateSubnetIds?.value);
    assert.equal(network.assignPublicIp, false);
    assert.deepEqual(network.securityGroups, ['cmp-app-id']);
  }
  const rules = inCompute(resources, 'aws:lb/listenerRule:ListenerRule').map((r) => [
    r.name,
    r.inputs.priority,
    (r.inputs.conditions as { pathPattern: { values: string[] } }[])[0]?.pathPattern.values,
  ]);
  assert.deepEqual(rules.sort(), [
    ['cmp-backend', 110, ['/api/*']],
    ['cmp-frontend', 50000, ['/*']],
  ]);
  // Qdrant is internal: no target group, but an EFS volume mounted in every private subnet.
  assert.deepEqual(
    inCompute(resources, 'aws:lb/targetGroup:TargetGroup')
      .map((t) => t.name)
      .sort(),
    ['cmp-backend', 'cmp-frontend'],
  );
  assert.equal(inCompute(resources, 'aws:efs/mountTarget:MountTarget').length, 2);
  const [fs] = inCompute(resources, 'aws:efs/fileSystem:FileSystem');
  assert.equal(fs?.inputs.encrypted, true);
  assert.match(String(outputs.compute?.url?.value), /^http:\/\//);
});

test('ecs: connection secrets reach containers through SSM, never the task definition', async () => {
  const { resources } = await plan('dev', { mode: 'ecs', services: SERVICES.slice(0, 1) });
  const parameters = inCompute(resources, 'aws:ssm/parameter:Parameter');
  assert.deepEqual(parameters.map((p) => p.inputs.name).sort(), [
    '/strata/cmp/DATABASE_URL',
    '/strata/cmp/DB_PASSWORD',
    '/strata/cmp/REDIS_URL',
    '/strata/cmp/STORAGE_ACCESS_KEY',
    '/strata/cmp/STORAGE_SECRET_KEY',
  ]);
  for (const parameter of parameters) {
    assert.equal(parameter.inputs.type, 'SecureString');
    assert.equal(parameter.inputs.value, MASK);
  }
  const [task] = inCompute(resources, 'aws:ecs/taskDefinition:TaskDefinition');
  const [container] = JSON.parse(String(task?.inputs.containerDefinitions)) as {
    environment: { name: string }[];
    secrets: { name: string; valueFrom: string }[];
  }[];
  assert.deepEqual(container?.secrets.map((s) => s.name).sort(), [
    'DATABASE_URL',
    'DB_PASSWORD',
    'REDIS_URL',
    'STORAGE_ACCESS_KEY',
    'STORAGE_SECRET_KEY',
  ]);
  assert.ok(container?.environment.some((e) => e.name === 'DB_NAME'));
  assert.ok(!container?.environment.some((e) => e.name === 'DB_PASSWORD'));
});

test('ecs with a certificate serves HTTPS and redirects HTTP; no WAF association without a WAF', async () => {
  const { resources, outputs } = await plan('dev', {
    mode: 'ecs',
    services: SERVICES.slice(0, 1),
    certificateArn: 'arn:aws:acm:eu-west-1:123456789012:certificate/abc-123',
  });
  const listeners = inCompute(resources, 'aws:lb/listener:Listener');
  assert.deepEqual(listeners.map((l) => [l.inputs.port, l.inputs.protocol]).sort(), [
    [443, 'HTTPS'],
    [80, 'HTTP'],
  ]);
  const http = listeners.find((l) => l.inputs.port === 80);
  assert.equal((http?.inputs.defaultActions as { type: string }[])[0]?.type, 'redirect');
  assert.match(String(outputs.compute?.url?.value), /^https:\/\//);
  assert.equal(inCompute(resources, 'aws:wafv2/webAclAssociation:WebAclAssociation').length, 0);
});

test('service definitions Fargate cannot run are errors naming the field', async () => {
  await assert.rejects(
    plan('dev', {
      mode: 'ecs',
      services: [{ name: 'a', image: 'x', port: 80, cpu: 256, memory: 4096 }],
    }),
    /services\[0\]\.memory/,
  );
  await assert.rejects(
    plan('dev', {
      mode: 'ecs',
      services: [
        { name: 'a', image: 'x', port: 80, public: true },
        { name: 'b', image: 'x', port: 80, public: true },
      ],
    }),
    /pathPatterns/,
  );
});

test('bad compute config is refused, naming the field', () => {
  refused(awsCompute, { mode: 'ec2' }, 'layers.compute.config.mode');
  refused(awsCompute, { kubernetesVersion: '1.28' }, 'layers.compute.config.kubernetesVersion');
  refused(awsCompute, { nodeMaxSize: 0 }, 'layers.compute.config.nodeMaxSize');
  refused(awsCompute, { nodeInstanceTypes: [] }, 'layers.compute.config.nodeInstanceTypes');
  refused(
    awsCompute,
    { services: [{ name: 'web', image: 'x', port: 70000 }] },
    'layers.compute.config.services[0].port',
  );
  refused(
    awsCompute,
    { services: [{ name: 'web', image: 'x', port: 80, replicas: 2 }] },
    'layers.compute.config.services[0].replicas',
  );
  refused(awsCompute, { fargate: true }, 'layers.compute.config.fargate');
});
