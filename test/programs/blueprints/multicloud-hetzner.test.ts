import assert from 'node:assert/strict';
import { test } from 'node:test';
import type { BlueprintPlan } from '../../../catalogue/blueprint-plan';
import { multicloudHetzner } from '../../../programs/blueprints/multicloud-hetzner';
import type { PlannedResource } from '../../../catalogue/offline-plan';
import { blueprintPlans, ofType } from '../../helpers/plans';

const isWorld = (cidr: string) => cidr.endsWith('/0');

interface FirewallRule {
  direction: string;
  protocol: string;
  port?: string;
  sourceIps?: string[];
}

function covers(port: string | undefined, target: number): boolean {
  if (port === undefined || port === 'any') return true;
  const [from, to = from] = port.split('-').map(Number);
  return from !== undefined && to !== undefined && target >= from && target <= to;
}

/** Hetzner firewall rules that let the internet reach a database or cache port. */
function publicDataRules(resources: PlannedResource[]): FirewallRule[] {
  return ofType(resources, 'hcloud:index/firewall:Firewall')
    .flatMap((f) => (f.inputs.rules as FirewallRule[] | undefined) ?? [])
    .filter(
      (r) =>
        r.direction === 'in' &&
        (r.sourceIps ?? []).some(isWorld) &&
        r.protocol !== 'icmp' &&
        [5432, 6379, 27017].some((p) => covers(r.port, p)),
    );
}

const planFor = blueprintPlans(multicloudHetzner);

for (const stage of ['dev', 'prod'] as const) {
  test(`multicloud-hetzner ${stage}: Hetzner cluster, Cloudflare edge and R2, GCP Firestore and functions`, async () => {
    const { resources } = await planFor(stage);
    const nodes = stage === 'prod' ? 3 : 1;
    const targets = new Set(resources.map((r) => `${r.layer}:${r.type.split(':')[0]}`));
    for (const expected of [
      'network:hcloud',
      'data:gcp',
      'storage:cloudflare',
      'compute:hcloud',
      'serverless:gcp',
      'observability:gcp',
    ]) {
      assert.ok(targets.has(expected), `${expected} in the plan`);
    }
    // Programs never mix providers within a layer (components aside).
    for (const layer of ['network', 'data', 'storage', 'compute', 'serverless', 'observability']) {
      const providers = new Set(
        resources
          .filter(
            (r) =>
              r.layer === layer && !r.type.startsWith('strata:') && !r.type.startsWith('random:'),
          )
          .map((r) => r.type.split(':')[0]),
      );
      assert.equal(providers.size, 1, `${layer} uses one provider: ${[...providers].join(', ')}`);
    }

    assert.equal(ofType(resources, 'hcloud:index/network:Network').length, 1);
    assert.equal(ofType(resources, 'hcloud:index/networkSubnet:NetworkSubnet').length, 1);
    const servers = ofType(resources, 'hcloud:index/server:Server');
    assert.equal(servers.length, nodes);
    assert.equal(ofType(resources, 'hcloud:index/volume:Volume').length, nodes);
    assert.equal(
      ofType(resources, 'hcloud:index/placementGroup:PlacementGroup')[0]?.inputs.type,
      'spread',
    );
    for (const server of servers) {
      assert.deepEqual(server.inputs.firewallIds, ['firewall-id']);
      assert.equal((server.inputs.networks as { networkId: string }[])[0]?.networkId, 'network-id');
    }
    // Web ports answer Cloudflare only.
    const rules = ofType(resources, 'hcloud:index/firewall:Firewall').flatMap(
      (f) => f.inputs.rules as FirewallRule[],
    );
    for (const rule of rules.filter((r) => r.port === '443' || r.port === '80')) {
      assert.ok(
        !(rule.sourceIps ?? []).some(isWorld),
        `port ${rule.port} is not open to the world`,
      );
      assert.ok(rule.sourceIps?.includes('173.245.48.0/20'));
    }
    assert.deepEqual(publicDataRules(resources), []);

    const domain = stage === 'prod' ? 'example.com' : 'dev.example.com';
    const records = ofType(resources, 'cloudflare:index/dnsRecord:DnsRecord');
    const chat = records.filter((r) => r.inputs.name === `chat.${domain}`);
    assert.equal(chat.length, nodes, 'one proxied A record per reserved node address');
    assert.ok(records.every((r) => r.inputs.proxied === true));
    const scripts = ofType(resources, 'cloudflare:index/workersScript:WorkersScript').map(
      (s) => s.inputs.scriptName,
    );
    assert.deepEqual(
      scripts,
      ['aircall-webhook', 'guesty-webhook', 'llm-query'].map((w) => `plan-${stage}-${w}`),
    );
    const routes = ofType(resources, 'cloudflare:index/workersRoute:WorkersRoute').map(
      (r) => r.inputs.pattern,
    );
    assert.ok(routes.includes(`hooks.${domain}/llm-query*`));
    assert.equal(ofType(resources, 'cloudflare:index/r2Bucket:R2Bucket').length, 1);
    // The R2 bucket has no public face: no r2.dev domain, no custom domain.
    assert.equal(ofType(resources, 'cloudflare:index/r2ManagedDomain:R2ManagedDomain').length, 0);
    assert.equal(ofType(resources, 'cloudflare:index/r2CustomDomain:R2CustomDomain').length, 0);
    assert.ok(
      ofType(resources, 'cloudflare:index/ruleset:Ruleset').some(
        (r) => r.inputs.phase === 'http_ratelimit',
      ),
    );

    assert.equal(ofType(resources, 'gcp:firestore/database:Database').length, 1);
    assert.equal(ofType(resources, 'gcp:sql/databaseInstance:DatabaseInstance').length, 0);
    const functions = ofType(resources, 'gcp:cloudfunctionsv2/function:Function').map(
      (f) => f.name,
    );
    assert.deepEqual(functions.sort(), [
      'backup-function',
      'vectorize-function',
      'vectorize-records-function',
    ]);
    const [job] = ofType(resources, 'gcp:cloudscheduler/job:Job');
    assert.equal(job?.inputs.schedule, '0 3 * * *');
    assert.equal(ofType(resources, 'gcp:pubsub/topic:Topic').length, 2);
    for (const bucket of ofType(resources, 'gcp:storage/bucket:Bucket')) {
      assert.equal(bucket.inputs.publicAccessPrevention, 'enforced');
    }
    // The functions reach Firestore, their events and their topics, and nothing more.
    const roles = ofType(resources, 'gcp:projects/iAMMember:IAMMember').map((b) => b.inputs.role);
    assert.deepEqual(roles.sort(), ['roles/datastore.user', 'roles/eventarc.eventReceiver']);
    assert.equal(ofType(resources, 'gcp:pubsub/topicIAMMember:TopicIAMMember').length, 2);
  });
}

test('multicloud-hetzner: prod is protected and kept, dev is small and disposable', async () => {
  const prod = await planFor('prod');
  const dev = await planFor('dev');
  const [firestore] = ofType(prod.resources, 'gcp:firestore/database:Database');
  assert.equal(firestore?.inputs.deleteProtectionState, 'DELETE_PROTECTION_ENABLED');
  assert.equal(firestore?.inputs.pointInTimeRecoveryEnablement, 'POINT_IN_TIME_RECOVERY_ENABLED');
  const backups = ofType(prod.resources, 'gcp:firestore/backupSchedule:BackupSchedule');
  assert.equal(backups.length, 1);
  assert.ok(parseInt(String(backups[0]?.inputs.retention), 10) >= 7 * 86400, 'kept 7 days or more');
  for (const server of ofType(prod.resources, 'hcloud:index/server:Server')) {
    assert.equal(server.inputs.deleteProtection, true);
    assert.equal(server.inputs.backups, true);
    assert.equal(server.inputs.serverType, 'cx32');
  }
  assert.ok(
    ofType(prod.resources, 'cloudflare:index/ruleset:Ruleset').some(
      (r) => r.inputs.phase === 'http_request_firewall_managed',
    ),
  );
  assert.ok(
    !ofType(dev.resources, 'cloudflare:index/ruleset:Ruleset').some(
      (r) => r.inputs.phase === 'http_request_firewall_managed',
    ),
  );
  const [devServer] = ofType(dev.resources, 'hcloud:index/server:Server');
  assert.equal(devServer?.inputs.deleteProtection, false);
  assert.equal(ofType(dev.resources, 'gcp:cloudscheduler/job:Job')[0]?.inputs.paused, true);
  const expiry = (plan: BlueprintPlan) => {
    const [lifecycle] = ofType(
      plan.resources,
      'cloudflare:index/r2BucketLifecycle:R2BucketLifecycle',
    );
    const rule = (
      lifecycle?.inputs.rules as Record<string, Record<string, Record<string, number>>>[]
    )[0];
    return Number(rule?.deleteObjectsTransition?.condition?.maxAge) / 86400;
  };
  assert.equal(expiry(prod), 400);
  assert.equal(expiry(dev), 30);
});

test('multicloud-hetzner bundle: each key from an output the plan has, credentials secret', async () => {
  const plan = await planFor('prod');
  assert.deepEqual(plan.env, Object.keys(multicloudHetzner.env ?? {}));
  for (const [key, from] of Object.entries(multicloudHetzner.env ?? {})) {
    assert.ok(
      from.output in (plan.outputs[from.layer] ?? {}),
      `${key} comes from ${from.layer}.${from.output}`,
    );
  }
  assert.equal(plan.outputs.storage?.accessKey?.secret, true);
  assert.equal(plan.outputs.storage?.secretKey?.secret, true);
  assert.equal(plan.outputs.data?.firestoreDatabase?.value, '(default)');
});
