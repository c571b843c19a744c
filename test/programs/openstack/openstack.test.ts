import assert from 'node:assert/strict';
import { test } from 'node:test';
import { openstackCompute } from '../../../programs/openstack/compute';
import { openstackData } from '../../../programs/openstack/data';
import { openstackNetwork } from '../../../programs/openstack/network';
import { openstackStorage } from '../../../programs/openstack/storage';
import { refused } from '../../helpers/config-errors';
import { layerPlanner, ofType } from '../../helpers/plans';

// planLayers is process-global: every plan in this file is awaited in turn.
const plan = layerPlanner('lab');

test('bad openstack config is refused with the field named', () => {
  refused(openstackNetwork, { cidr: '10.10.0.0' }, 'layers.network.config.cidr');
  refused(
    openstackNetwork,
    { ingressRules: [{ protocol: 'tcp', portMin: 70000, cidr: '0.0.0.0/0' }] },
    'ingressRules[0].portMin',
  );
  refused(openstackNetwork, { router: true }, 'layers.network.config.router');
  refused(openstackData, { flavor: 'huge' }, 'layers.data.config.flavor');
  refused(openstackData, { backupRetentionDays: 0 }, 'layers.data.config.backupRetentionDays');
  refused(openstackData, { backupSchedule: 'nightly' }, 'layers.data.config.backupSchedule');
  refused(openstackStorage, { containers: [] }, 'layers.storage.config.containers');
  refused(openstackStorage, { containers: ['Bad_Name'] }, 'containers[0]');
  refused(openstackCompute, { instances: [{ name: 'core', count: 11 }] }, 'instances[0].count');
  refused(
    openstackCompute,
    { instances: [{ name: 'core', flavour: 's1-8' }] },
    'instances[0].flavour',
  );
});

test('an ingress rule opening PostgreSQL or Redis to the internet fails the deployment', async () => {
  await assert.rejects(
    plan('dev', [
      [openstackNetwork, { ingressRules: [{ protocol: 'tcp', portMin: 5432, cidr: '0.0.0.0/0' }] }],
    ]),
    /ingressRules\[0\]: opens port 5432/,
  );
  await assert.rejects(
    plan('dev', [
      [
        openstackNetwork,
        { ingressRules: [{ protocol: 'tcp', portMin: 6000, portMax: 6400, cidr: '::/0' }] },
      ],
    ]),
    /opens port 6379/,
  );
});

test('prod: database on a volume, only the subnet may reach it, dumps go to a private container', async () => {
  const { resources, outputs } = await plan('prod', [
    [openstackNetwork, {}],
    [openstackData, { backups: false, deletionProtection: false, encrypted: false }],
    [openstackStorage, { containers: ['assets', 'models'] }],
    [
      openstackCompute,
      {
        instances: [
          { name: 'api', flavor: 's1-8', floatingIp: true },
          { name: 'worker', count: 2 },
        ],
      },
    ],
  ]);
  const rules = ofType(resources, 'openstack:networking/secGroupRule:SecGroupRule');
  const postgres = rules.filter((r) => r.inputs.portRangeMin === 5432);
  assert.deepEqual(
    postgres.map((r) => r.inputs.remoteIpPrefix),
    ['10.10.0.0/24'],
  );
  assert.ok(ofType(resources, 'openstack:networking/router:Router').length === 1);
  // No externalNetworkId configured: the plan answers the Ext-Net lookup, the gateway shows.
  assert.equal(
    ofType(resources, 'openstack:networking/router:Router')[0]?.inputs.externalNetworkId,
    'ext-net-plan-id',
  );
  assert.ok(ofType(resources, 'openstack:networking/routerInterface:RouterInterface').length === 1);

  const data = resources.filter((r) => r.layer === 'data');
  const [volume] = ofType(data, 'openstack:blockstorage/volume:Volume');
  assert.equal(volume?.inputs.size, 100);
  // Encryption at rest is enforced in prod too: the LUKS twin of the volume type.
  assert.equal(volume?.inputs.volumeType, 'high-speed-luks');
  assert.equal(ofType(data, 'openstack:compute/volumeAttach:VolumeAttach').length, 1);
  const [instance] = ofType(data, 'openstack:compute/instance:Instance');
  assert.equal(instance?.inputs.userData, '[secret]');
  assert.equal(instance?.inputs.flavorName, 'b2-15');
  const [port] = ofType(data, 'openstack:networking/port:Port');
  assert.deepEqual(port?.inputs.securityGroupIds, ['sg-database-id']);
  // Backups and protection are enforced in prod even though the config asked otherwise.
  const [backups] = ofType(data, 'openstack:objectstorage/container:Container');
  assert.equal(backups?.inputs.containerRead, undefined);
  assert.equal(backups?.inputs.versioning, true);
  assert.equal(
    volume?.inputs.metadata &&
      (volume.inputs.metadata as Record<string, string>)['strata-protected'],
    'true',
  );
  assert.equal(outputs.data?.host?.value, '10.10.0.10');
  assert.equal(outputs.data?.password?.secret, true);
  assert.equal(outputs.data?.backupContainer?.value, 'lab-db-backups');

  const containers = ofType(
    resources.filter((r) => r.layer === 'storage'),
    'openstack:objectstorage/container:Container',
  );
  assert.deepEqual(
    containers.map((c) => c.inputs.name),
    ['lab-assets', 'lab-models'],
  );
  for (const container of containers) {
    assert.equal(container.inputs.containerRead, undefined);
    assert.equal(container.inputs.forceDestroy, false);
  }
  assert.equal(outputs.storage?.bucket?.value, 'lab-assets');
  assert.equal(outputs.storage?.accessKey?.secret, true);
  assert.equal(outputs.storage?.secretKey?.secret, true);

  const compute = resources.filter((r) => r.layer === 'compute');
  assert.equal(ofType(compute, 'openstack:compute/instance:Instance').length, 3);
  assert.equal(ofType(compute, 'openstack:networking/floatingIp:FloatingIp').length, 1);
  const [association] = ofType(
    compute,
    'openstack:networking/floatingIpAssociate:FloatingIpAssociate',
  );
  assert.equal(association?.inputs.portId, 'api-port-id');
  // Workers are spread over hypervisors in prod.
  assert.equal(ofType(compute, 'openstack:compute/serverGroup:ServerGroup').length, 1);
  assert.equal(
    outputs.compute?.privateIps?.value,
    'api=10.10.0.20,worker-0=10.10.0.21,worker-1=10.10.0.22',
  );
});

test('dev: no backup container unless asked, containers can be force-destroyed', async () => {
  const { resources } = await plan('dev', [
    [openstackNetwork, {}],
    [openstackData, {}],
    [openstackStorage, {}],
  ]);
  assert.equal(
    ofType(
      resources.filter((r) => r.layer === 'data'),
      'openstack:objectstorage/container:Container',
    ).length,
    0,
  );
  const [assets] = ofType(resources, 'openstack:objectstorage/container:Container');
  assert.equal(assets?.inputs.forceDestroy, true);
  assert.equal(
    ofType(resources, 'openstack:blockstorage/volume:Volume')[0]?.inputs.volumeType,
    'classic',
  );
});

test('compute refuses a serviceInstance that is not one of its instances', async () => {
  await assert.rejects(
    plan('dev', [
      [openstackNetwork, {}],
      [openstackCompute, { serviceInstance: 'xpipe' }],
    ]),
    /serviceInstance "xpipe"/,
  );
});
