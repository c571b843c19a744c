import assert from 'node:assert/strict';
import { test } from 'node:test';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { hcloudCompute } from '../../../programs/hcloud/compute';
import { hcloudData } from '../../../programs/hcloud/data';
import { hcloudNetwork } from '../../../programs/hcloud/network';
import { refused } from '../../helpers/config-errors';
import { layerPlanner, ofType } from '../../helpers/plans';

// planLayers is process-global: every plan in this file is awaited in turn.
const plan = layerPlanner('shop');

test('bad hcloud config is refused with the field named', () => {
  refused(hcloudNetwork, { ipRange: 'ten-dot-zero' }, 'layers.network.config.ipRange');
  refused(hcloudNetwork, { primaryIps: 11 }, 'layers.network.config.primaryIps');
  refused(
    hcloudNetwork,
    { firewallRules: [{ protocol: 'tcp', port: '22', sourceIps: ['everywhere'] }] },
    'firewallRules[0].sourceIps[0]',
  );
  refused(hcloudNetwork, { subnets: [] }, 'layers.network.config.subnets');
  refused(hcloudCompute, { nodeCount: 0 }, 'layers.compute.config.nodeCount');
  refused(hcloudCompute, { nodeCount: 'three' }, 'layers.compute.config.nodeCount');
  refused(hcloudCompute, { location: 'mars1' }, 'layers.compute.config.location');
  refused(hcloudData, { postgresVersion: '12' }, 'layers.data.config.postgresVersion');
  refused(hcloudData, { databaseName: 'Robert"); DROP' }, 'layers.data.config.databaseName');
  refused(hcloudData, { volumeSize: 5 }, 'layers.data.config.volumeSize');
});

test('prod cannot turn off the delete protection and backups the stage enforces', () => {
  const compute = resolveLayerConfig(hcloudCompute, 'prod', { deleteProtection: false });
  assert.equal(compute.deleteProtection, true);
  const data = resolveLayerConfig(hcloudData, 'prod', { backups: false, deleteProtection: false });
  assert.equal(data.backups, true);
  assert.equal(data.deleteProtection, true);
  assert.equal(resolveLayerConfig(hcloudData, 'dev', {}).deleteProtection, false);
});

test('a firewall rule opening a database port to the internet fails the deployment', async () => {
  for (const rule of [
    { protocol: 'tcp', port: '5432', sourceIps: ['0.0.0.0/0'] },
    { protocol: 'tcp', port: '6000-6500', sourceIps: ['::/0'] },
    { protocol: 'tcp', port: 'any', sourceIps: ['10.0.0.0/8', '0.0.0.0/0'] },
  ]) {
    await assert.rejects(
      plan('dev', [[hcloudNetwork, { firewallRules: [rule] }]]),
      /firewallRules\[0\]: opens port/,
    );
  }
  // The same port from a private range is fine.
  const ok = await plan('dev', [
    [
      hcloudNetwork,
      { firewallRules: [{ protocol: 'tcp', port: '5432', sourceIps: ['10.0.0.0/16'] }] },
    ],
  ]);
  assert.equal(ofType(ok.resources, 'hcloud:index/firewall:Firewall').length, 1);
});

test('prod plan: 3 servers spread, each with a volume, on the private network, protected', async () => {
  const { resources, outputs } = await plan('prod', [
    [hcloudNetwork, { primaryIps: 3 }],
    [hcloudData, {}],
    [hcloudCompute, {}],
  ]);
  const compute = resources.filter((r) => r.layer === 'compute');
  const servers = ofType(compute, 'hcloud:index/server:Server');
  assert.equal(servers.length, 3);
  assert.equal(ofType(compute, 'hcloud:index/volume:Volume').length, 3);
  assert.equal(ofType(compute, 'hcloud:index/volumeAttachment:VolumeAttachment').length, 3);
  const [group] = ofType(compute, 'hcloud:index/placementGroup:PlacementGroup');
  assert.equal(group?.inputs.type, 'spread');
  servers.forEach((server, i) => {
    assert.equal(server.inputs.placementGroupId, 'spread-id');
    assert.deepEqual(server.inputs.networks, [{ networkId: 'network-id', ip: `10.0.1.${10 + i}` }]);
    assert.equal(server.inputs.deleteProtection, true);
    assert.equal(server.inputs.backups, true);
    assert.deepEqual(server.inputs.firewallIds, ['firewall-id']);
    // Reserved addresses from the network layer, in order.
    assert.equal((server.inputs.publicNets as { ipv4?: string }[])[0]?.ipv4, `ingress-${i}-id`);
  });
  assert.equal(outputs.compute?.privateIps?.value, '10.0.1.10,10.0.1.11,10.0.1.12');

  // The database server: private address, nothing open publicly, password only as a secret.
  const data = resources.filter((r) => r.layer === 'data');
  const [db] = ofType(data, 'hcloud:index/server:Server');
  assert.deepEqual(db?.inputs.networks, [{ networkId: 'network-id', ip: '10.0.1.5' }]);
  assert.equal(db?.inputs.userData, '[secret]');
  assert.equal(db?.inputs.deleteProtection, true);
  const [dbFirewall] = ofType(data, 'hcloud:index/firewall:Firewall');
  assert.deepEqual(dbFirewall?.inputs.rules, []);
  assert.deepEqual(db?.inputs.firewallIds, ['db-firewall-id']);
  assert.equal(outputs.data?.host?.value, '10.0.1.5');
  assert.equal(outputs.data?.port?.value, 5432);
  assert.equal(outputs.data?.password?.secret, true);
  assert.equal(outputs.data?.url?.secret, true);
});

test('dev plan: one unprotected server without backups', async () => {
  const { resources } = await plan('dev', [
    [hcloudNetwork, {}],
    [hcloudCompute, {}],
  ]);
  const servers = ofType(resources, 'hcloud:index/server:Server');
  assert.equal(servers.length, 1);
  assert.equal(servers[0]?.inputs.deleteProtection, false);
  assert.equal(servers[0]?.inputs.backups, false);
  assert.equal(ofType(resources, 'hcloud:index/primaryIp:PrimaryIp').length, 0);
});

test('the data layer refuses to run without a network layer', async () => {
  await assert.rejects(
    plan('dev', [[hcloudData, {}]]),
    /needs output "networkId" of the network layer/,
  );
});
