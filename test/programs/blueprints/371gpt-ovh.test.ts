import assert from 'node:assert/strict';
import { test } from 'node:test';
import { blueprintLayers } from '../../../catalogue/blueprint-plan';
import { gpt371Ovh } from '../../../programs/blueprints/371gpt-ovh';
import type { PlannedResource } from '../../../catalogue/offline-plan';
import { blueprintPlans, ofType } from '../../helpers/plans';
import { SEED_001_ENV } from '../../helpers/seed-env';

const isWorld = (cidr: unknown) => typeof cidr === 'string' && cidr.endsWith('/0');

/** Every security group rule that lets the internet reach PostgreSQL or Redis. */
function publicDataRules(resources: PlannedResource[]): PlannedResource[] {
  return ofType(resources, 'openstack:networking/secGroupRule:SecGroupRule').filter((rule) => {
    const min = Number(rule.inputs.portRangeMin ?? 1);
    const max = Number(rule.inputs.portRangeMax ?? 65535);
    return isWorld(rule.inputs.remoteIpPrefix) && [5432, 6379].some((p) => p >= min && p <= max);
  });
}

const planFor = blueprintPlans(gpt371Ovh);

for (const stage of ['dev', 'prod'] as const) {
  test(`371gpt-ovh ${stage}: the seed's network, database, storage and instances`, async () => {
    const { resources, outputs } = await planFor(stage);
    assert.equal(ofType(resources, 'openstack:networking/network:Network').length, 1);
    assert.equal(ofType(resources, 'openstack:networking/subnet:Subnet').length, 1);
    const routers = ofType(resources, 'openstack:networking/router:Router');
    assert.equal(routers.length, 1);
    // The router reaches Ext-Net: looked up by name, answered by the plan.
    assert.equal(routers[0]?.inputs.externalNetworkId, 'ext-net-plan-id');
    assert.equal(
      ofType(resources, 'openstack:networking/routerInterface:RouterInterface').length,
      1,
    );
    assert.equal(ofType(resources, 'openstack:networking/secGroup:SecGroup').length, 3);

    const data = resources.filter((r) => r.layer === 'data');
    assert.equal(ofType(data, 'openstack:compute/instance:Instance').length, 1);
    assert.equal(ofType(data, 'openstack:blockstorage/volume:Volume').length, 1);
    assert.equal(ofType(data, 'openstack:compute/volumeAttach:VolumeAttach').length, 1);

    const containers = ofType(
      resources.filter((r) => r.layer === 'storage'),
      'openstack:objectstorage/container:Container',
    );
    assert.deepEqual(
      containers.map((c) => c.inputs.name),
      ['assets', 'models', 'datasets', 'backups'].map((s) => `plan-${stage}-${s}`),
    );
    for (const container of ofType(resources, 'openstack:objectstorage/container:Container')) {
      assert.equal(container.inputs.containerRead, undefined, `${container.name} is not public`);
    }
    assert.equal(
      ofType(resources, 'openstack:identity/ec2CredentialV3:Ec2CredentialV3').length >= 1,
      true,
    );

    const instances = ofType(
      resources.filter((r) => r.layer === 'compute'),
      'openstack:compute/instance:Instance',
    );
    assert.deepEqual(instances.map((i) => [i.name, i.inputs.flavorName]).sort(), [
      ['core', 's1-8'],
      ['kespa', 's1-4'],
      ['xpipe', 's1-4'],
    ]);
    const [association] = ofType(
      resources,
      'openstack:networking/floatingIpAssociate:FloatingIpAssociate',
    );
    assert.equal(association?.inputs.portId, 'core-port-id');
    assert.equal(ofType(resources, 'openstack:networking/floatingIp:FloatingIp').length, 1);

    assert.deepEqual(publicDataRules(resources), []);
    // The password reaches the instance only inside its (secret) user data.
    const [db] = ofType(data, 'openstack:compute/instance:Instance');
    assert.equal(db?.inputs.userData, '[secret]');
    assert.equal(outputs.data?.password?.secret, true);
    assert.equal(outputs.storage?.accessKey?.secret, true);
    assert.equal(outputs.storage?.secretKey?.secret, true);
  });
}

test('371gpt-ovh bundle: exactly the variables seed 001 lists, each from an output the plan has', async () => {
  const plan = await planFor('prod');
  assert.deepEqual(plan.env, SEED_001_ENV);
  for (const [key, from] of Object.entries(gpt371Ovh.env ?? {})) {
    assert.ok(
      from.output in (plan.outputs[from.layer] ?? {}),
      `${key} comes from ${from.layer}.${from.output}`,
    );
  }
  assert.equal(plan.outputs.data?.port?.value, 5432);
  assert.equal(plan.outputs.compute?.servicePort?.value, 8080);
  assert.equal(plan.outputs.compute?.serviceHost?.value, '10.10.0.21');
  assert.equal(plan.outputs.storage?.bucket?.value, 'plan-prod-assets');
});

test('371gpt-ovh prod: the database is protected and backed up; dev is not held back', async () => {
  const prod = await planFor('prod');
  const [volume] = ofType(prod.resources, 'openstack:blockstorage/volume:Volume');
  const data = blueprintLayers(gpt371Ovh, 'prod').find((l) => l.layer === 'data');
  assert.equal((volume?.inputs.metadata as Record<string, string>)['strata-protected'], 'true');
  // Encrypted at rest (OVH's LUKS volume type); multi-AZ does not apply on OVH Public Cloud.
  assert.equal(volume?.inputs.volumeType, 'high-speed-luks');
  assert.equal(data?.config.encrypted, true);
  const backups = ofType(
    prod.resources.filter((r) => r.layer === 'data'),
    'openstack:objectstorage/container:Container',
  );
  assert.equal(backups.length, 1);
  assert.equal(backups[0]?.inputs.forceDestroy, false);
  assert.equal(data?.config.deletionProtection, true);
  assert.equal(data?.config.backups, true);
  assert.ok(Number(data?.config.backupRetentionDays) >= 7);

  const dev = await planFor('dev');
  const [devVolume] = ofType(dev.resources, 'openstack:blockstorage/volume:Volume');
  assert.equal((devVolume?.inputs.metadata as Record<string, string>)['strata-protected'], 'false');
  assert.ok(Number(devVolume?.inputs.size) < Number(volume?.inputs.size));
});
