import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { Stage } from '../../../core/domain';
import { awsNetwork } from '../../../programs/aws/network';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { planLayers } from '../../../catalogue/offline-plan';
import { refused } from '../../helpers/config-errors';
import { ofType } from '../../helpers/plans';

async function plan(stage: Stage, config: Record<string, unknown> = {}) {
  return planLayers('net', stage, [
    {
      layer: 'network',
      definition: awsNetwork,
      config: resolveLayerConfig(awsNetwork, stage, config),
    },
  ]);
}

test('dev: two AZs, one NAT shared by the private subnets, seed 004 subnet layout, no WAF', async () => {
  const { resources, outputs } = await plan('dev');
  const subnets = ofType(resources, 'aws:ec2/subnet:Subnet');
  assert.deepEqual(subnets.map((s) => s.inputs.cidrBlock).sort(), [
    '10.0.1.0/24',
    '10.0.11.0/24',
    '10.0.12.0/24',
    '10.0.2.0/24',
    '10.0.21.0/24',
    '10.0.22.0/24',
  ]);
  assert.deepEqual([...new Set(subnets.map((s) => s.inputs.availabilityZone))].sort(), [
    'eu-west-1a',
    'eu-west-1b',
  ]);
  assert.equal(ofType(resources, 'aws:ec2/natGateway:NatGateway').length, 1);
  const privateTables = ofType(resources, 'aws:ec2/routeTable:RouteTable').filter((t) =>
    t.name.startsWith('net-private-'),
  );
  assert.equal(privateTables.length, 2);
  for (const table of privateTables) {
    assert.deepEqual(table.inputs.routes, [
      { cidrBlock: '0.0.0.0/0', natGatewayId: 'net-nat-0-id' },
    ]);
  }
  assert.equal(ofType(resources, 'aws:wafv2/webAcl:WebAcl').length, 0);
  assert.equal(outputs.network?.wafAclArn, undefined);
  assert.deepEqual(outputs.network?.privateSubnetIds?.value, [
    'net-private-0-id',
    'net-private-1-id',
  ]);
});

test('database subnets have no route out; public subnets go through the internet gateway', async () => {
  const { resources } = await plan('dev');
  const tables = ofType(resources, 'aws:ec2/routeTable:RouteTable');
  const database = tables.find((t) => t.name === 'net-database');
  assert.ok(database);
  assert.equal(database.inputs.routes, undefined);
  const publicTable = tables.find((t) => t.name === 'net-public');
  assert.deepEqual(publicTable?.inputs.routes, [{ cidrBlock: '0.0.0.0/0', gatewayId: 'net-id' }]);
});

test('prod: three AZs with a NAT each, WAF with a per-IP rate rule and the SQLi rule set, flow logs to a private bucket', async () => {
  const { resources, outputs } = await plan('prod', { flowLogs: false });
  assert.equal(ofType(resources, 'aws:ec2/natGateway:NatGateway').length, 3);
  const privateTables = ofType(resources, 'aws:ec2/routeTable:RouteTable').filter((t) =>
    t.name.startsWith('net-private-'),
  );
  assert.deepEqual(
    privateTables
      .map((t) => (t.inputs.routes as { natGatewayId: string }[])[0]?.natGatewayId)
      .sort(),
    ['net-nat-0-id', 'net-nat-1-id', 'net-nat-2-id'],
  );
  const [acl] = ofType(resources, 'aws:wafv2/webAcl:WebAcl');
  assert.ok(acl);
  const rules = acl.inputs.rules as Record<string, Record<string, Record<string, unknown>>>[];
  assert.deepEqual(rules[0]?.statement?.rateBasedStatement, {
    limit: 1000,
    aggregateKeyType: 'IP',
  });
  assert.deepEqual(rules[1]?.statement?.managedRuleGroupStatement, {
    name: 'AWSManagedRulesSQLiRuleSet',
    vendorName: 'AWS',
  });
  assert.equal(outputs.network?.wafAclArn?.value, 'arn:mock:aws:wafv2/webAcl:WebAcl:net-waf');

  // Prod enforces flow logs even though the environment asked for none.
  const [flowLog] = ofType(resources, 'aws:ec2/flowLog:FlowLog');
  assert.equal(flowLog?.inputs.logDestinationType, 's3');
  assert.equal(flowLog?.inputs.logDestination, 'arn:mock:aws:s3/bucket:Bucket:net-flow-logs');
  const [block] = ofType(resources, 'aws:s3/bucketPublicAccessBlock:BucketPublicAccessBlock');
  assert.equal(block?.inputs.bucket, 'net-flow-logs-id');
});

test('database and cache ports are open only to the app security group, never to a CIDR', async () => {
  const { resources } = await plan('prod');
  const ingress = ofType(resources, 'aws:vpc/securityGroupIngressRule:SecurityGroupIngressRule');
  const toDataTier = ingress.filter((r) =>
    ['net-database-id', 'net-cache-id'].includes(String(r.inputs.securityGroupId)),
  );
  assert.deepEqual(
    toDataTier.map((r) => [
      r.inputs.fromPort,
      r.inputs.referencedSecurityGroupId,
      r.inputs.cidrIpv4,
    ]),
    [
      [5432, 'net-app-id', undefined],
      [6379, 'net-app-id', undefined],
    ],
  );
  const open = ingress.filter((r) => r.inputs.cidrIpv4 === '0.0.0.0/0');
  assert.deepEqual(
    open.map((r) => [r.inputs.securityGroupId, r.inputs.fromPort]),
    [
      ['net-alb-id', 80],
      ['net-alb-id', 443],
    ],
  );
});

test('region and explicit AZs reach the provider and the subnets', async () => {
  const { resources, outputs } = await plan('prod', {
    region: 'us-west-2',
    availabilityZones: ['us-west-2a', 'us-west-2b', 'us-west-2c'],
  });
  const [provider] = ofType(resources, 'pulumi:providers:aws');
  assert.equal(provider?.inputs.region, 'us-west-2');
  assert.deepEqual(outputs.network?.availabilityZones?.value, [
    'us-west-2a',
    'us-west-2b',
    'us-west-2c',
  ]);
  assert.equal(outputs.network?.region?.value, 'us-west-2');
});

test('fewer AZs listed than azCount is an error naming availabilityZones', async () => {
  await assert.rejects(
    plan('prod', { availabilityZones: ['eu-west-1a', 'eu-west-1b'] }),
    /availabilityZones/,
  );
});

test('bad network config is refused, naming the field', () => {
  refused(awsNetwork, { azCount: 1 }, 'layers.network.config.azCount');
  refused(awsNetwork, { azCount: 'two' }, 'layers.network.config.azCount');
  refused(awsNetwork, { natGateways: 'none' }, 'layers.network.config.natGateways');
  refused(awsNetwork, { cidrBlock: '10.0.0.0/8' }, 'layers.network.config.cidrBlock');
  refused(awsNetwork, { region: 'Europe' }, 'layers.network.config.region');
  refused(
    awsNetwork,
    { waf: { enabled: true, rateLimitPerIp: 5 } },
    'layers.network.config.waf.rateLimitPerIp',
  );
  refused(
    awsNetwork,
    { albIngressCidrs: ['everywhere'] },
    'layers.network.config.albIngressCidrs[0]',
  );
  refused(awsNetwork, { vpc: true }, 'layers.network.config.vpc');
});
