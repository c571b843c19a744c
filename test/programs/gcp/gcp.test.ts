import assert from 'node:assert/strict';
import { test } from 'node:test';
import { gcpCompute } from '../../../programs/gcp/compute';
import { gcpData } from '../../../programs/gcp/data';
import { gcpNetwork } from '../../../programs/gcp/network';
import { gcpObservability } from '../../../programs/gcp/observability';
import { gcpServerless } from '../../../programs/gcp/serverless';
import { gcpStorage } from '../../../programs/gcp/storage';
import { refused } from '../../helpers/config-errors';
import { layerPlanner, ofType, one } from '../../helpers/plans';

// planLayers is process-global: every plan in this file is awaited in turn.
const plan = layerPlanner('web');

test('bad gcp config is refused with the field named', () => {
  refused(gcpNetwork, { region: 'Europe West' }, 'layers.network.config.region');
  refused(
    gcpNetwork,
    { firewallRules: [{ name: 'x', ports: ['80'], sourceRanges: [] }] },
    'firewallRules[0].sourceRanges',
  );
  refused(gcpData, { databaseVersion: 'POSTGRES_11' }, 'layers.data.config.databaseVersion');
  refused(gcpData, { backupRetentionDays: 400 }, 'layers.data.config.backupRetentionDays');
  refused(gcpData, { public: true }, 'layers.data.config.public');
  refused(gcpStorage, { storageClass: 'GLACIER' }, 'layers.storage.config.storageClass');
  refused(gcpCompute, { mode: 'vm' }, 'layers.compute.config.mode');
  refused(gcpCompute, { services: [{ name: 'api', memory: 'lots' }] }, 'services[0].memory');
  refused(gcpServerless, { functions: [{ name: 'f', runtime: 'ruby' }] }, 'functions[0].runtime');
  refused(
    gcpServerless,
    { schedules: [{ name: 's', schedule: 'daily' }] },
    'schedules[0].schedule',
  );
  refused(
    gcpObservability,
    { notificationEmail: 'not-an-address' },
    'layers.observability.config.notificationEmail',
  );
});

test('a firewall rule exposing PostgreSQL to the internet fails the deployment', async () => {
  await assert.rejects(
    plan('dev', [
      [
        gcpNetwork,
        { firewallRules: [{ name: 'db', ports: ['5000-5500'], sourceRanges: ['0.0.0.0/0'] }] },
      ],
    ]),
    /firewallRules\[0\]: opens port 5432/,
  );
  await assert.rejects(
    plan('dev', [
      [gcpNetwork, { firewallRules: [{ name: 'all', ports: [], sourceRanges: ['0.0.0.0/0'] }] }],
    ]),
    /opens port 5432, 6379/,
  );
});

test('prod: private, regional, protected Cloud SQL with backups; a private bucket; the whole stack', async () => {
  const { resources, outputs } = await plan('prod', [
    [gcpNetwork, {}],
    [gcpData, { firestore: true, deletionProtection: false, availabilityType: 'ZONAL' }],
    [gcpStorage, {}],
    [gcpCompute, {}],
    [
      gcpServerless,
      {
        topics: ['events'],
        functions: [
          { name: 'nightly', trigger: 'http' },
          { name: 'on-event', trigger: 'pubsub', topic: 'events' },
          { name: 'on-write', trigger: 'firestore', firestoreDocument: 'items/{id}' },
        ],
        schedules: [{ name: 'nightly', schedule: '0 2 * * *', function: 'nightly' }],
      },
    ],
    [gcpObservability, { notificationEmail: 'ops@example.com' }],
  ]);
  one(resources, 'gcp:servicenetworking/connection:Connection');
  const sql = one(resources, 'gcp:sql/databaseInstance:DatabaseInstance');
  const settings = sql.inputs.settings as Record<string, Record<string, unknown>>;
  assert.equal(sql.inputs.deletionProtection, true);
  assert.match(String(sql.inputs.databaseVersion), /^POSTGRES_1[5-7]$/);
  assert.equal(settings.availabilityType as unknown, 'REGIONAL');
  assert.equal(settings.ipConfiguration?.ipv4Enabled, false);
  assert.equal(settings.ipConfiguration?.privateNetwork, 'vpc-id');
  assert.deepEqual(settings.ipConfiguration?.authorizedNetworks, []);
  assert.equal(settings.backupConfiguration?.enabled, true);
  assert.equal(settings.backupConfiguration?.pointInTimeRecoveryEnabled, true);
  const retained = settings.backupConfiguration?.backupRetentionSettings as
    Record<string, unknown> | undefined;
  assert.ok(Number(retained?.retainedBackups) >= 7, 'daily backups kept 7 days or more');
  assert.equal(one(resources, 'gcp:sql/user:User').inputs.password, '[secret]');
  const firestore = one(resources, 'gcp:firestore/database:Database');
  assert.equal(firestore.inputs.deleteProtectionState, 'DELETE_PROTECTION_ENABLED');
  const firestoreBackups = one(resources, 'gcp:firestore/backupSchedule:BackupSchedule');
  assert.ok(parseInt(String(firestoreBackups.inputs.retention), 10) >= 7 * 86400);
  assert.equal(outputs.data?.password?.secret, true);
  assert.equal(outputs.data?.url?.secret, true);

  const buckets = ofType(resources, 'gcp:storage/bucket:Bucket');
  assert.equal(buckets.length, 2); // the data bucket and the functions' source bucket
  for (const bucket of buckets) {
    assert.equal(bucket.inputs.publicAccessPrevention, 'enforced');
    assert.equal(bucket.inputs.uniformBucketLevelAccess, true);
  }
  const data = buckets.find((b) => b.layer === 'storage');
  assert.equal(data?.inputs.forceDestroy, false);
  assert.deepEqual(data?.inputs.versioning, { enabled: true });
  one(resources, 'gcp:storage/hmacKey:HmacKey');
  assert.equal(outputs.storage?.secretKey?.secret, true);
  assert.equal(outputs.storage?.endpoint?.value, 'https://storage.googleapis.com');

  const run = one(resources, 'gcp:cloudrunv2/service:Service');
  assert.equal(run.inputs.deletionProtection, true);
  const envNames = (
    (run.inputs.template as { containers: { envs: { name: string }[] }[] }).containers[0]?.envs ??
    []
  ).map((e) => e.name);
  assert.ok(envNames.includes('DB_HOST') && !envNames.includes('DB_PASSWORD'));

  const functions = ofType(resources, 'gcp:cloudfunctionsv2/function:Function');
  assert.equal(functions.length, 3);
  const byName = new Map(functions.map((f) => [f.name, f.inputs]));
  assert.equal(
    byName.get('on-event-function')?.eventTrigger &&
      (byName.get('on-event-function')?.eventTrigger as Record<string, unknown>).eventType,
    'google.cloud.pubsub.topic.v1.messagePublished',
  );
  assert.equal(
    (byName.get('on-write-function')?.eventTrigger as Record<string, unknown>).eventType,
    'google.cloud.firestore.document.v1.written',
  );
  one(resources, 'gcp:pubsub/topic:Topic');
  const job = one(resources, 'gcp:cloudscheduler/job:Job');
  assert.equal(job.inputs.schedule, '0 2 * * *');
  assert.ok((job.inputs.httpTarget as Record<string, unknown>).oidcToken);

  // The functions' account: Firestore documents and event delivery on the project, publishing
  // on this layer's topics only; nothing broader (no editor, no project-wide Pub/Sub).
  const account = one(
    resources.filter((r) => r.layer === 'serverless'),
    'gcp:serviceaccount/account:Account',
  );
  assert.equal(account.inputs.accountId, 'web-functions');
  const invoker = ofType(
    resources.filter((r) => r.layer === 'serverless'),
    'gcp:cloudrunv2/serviceIamMember:ServiceIamMember',
  )[0];
  const member = invoker?.inputs.member;
  assert.match(String(member), /^serviceAccount:/);
  const grants = ofType(resources, 'gcp:projects/iAMMember:IAMMember');
  assert.deepEqual(grants.map((g) => g.inputs.role).sort(), [
    'roles/datastore.user',
    'roles/eventarc.eventReceiver',
  ]);
  for (const grant of grants) assert.equal(grant.inputs.member, member);
  const publisher = one(resources, 'gcp:pubsub/topicIAMMember:TopicIAMMember');
  assert.deepEqual(
    [publisher.inputs.topic, publisher.inputs.role, publisher.inputs.member],
    ['web-events', 'roles/pubsub.publisher', member],
  );

  one(resources, 'gcp:monitoring/notificationChannel:NotificationChannel');
  assert.ok(ofType(resources, 'gcp:monitoring/alertPolicy:AlertPolicy').length >= 2);
});

test('GKE mode: private nodes, autoscaled pool sized by stage', async () => {
  const { resources } = await plan('prod', [
    [gcpNetwork, {}],
    [gcpCompute, { mode: 'gke' }],
  ]);
  const cluster = one(resources, 'gcp:container/cluster:Cluster');
  assert.equal(
    (cluster.inputs.privateClusterConfig as Record<string, unknown>).enablePrivateNodes,
    true,
  );
  assert.equal(cluster.inputs.deletionProtection, true);
  const pool = one(resources, 'gcp:container/nodePool:NodePool');
  assert.deepEqual(pool.inputs.autoscaling, { minNodeCount: 3, maxNodeCount: 10 });
  assert.equal(ofType(resources, 'gcp:cloudrunv2/service:Service').length, 0);
});

test('dev: zonal Cloud SQL without deletion protection; schedules paused', async () => {
  const { resources } = await plan('dev', [
    [gcpNetwork, {}],
    [gcpData, {}],
    [
      gcpServerless,
      {
        functions: [{ name: 'job' }],
        schedules: [{ name: 'tick', schedule: '*/5 * * * *', function: 'job' }],
      },
    ],
  ]);
  const sql = one(resources, 'gcp:sql/databaseInstance:DatabaseInstance');
  assert.equal(sql.inputs.deletionProtection, false);
  assert.equal((sql.inputs.settings as Record<string, unknown>).availabilityType, 'ZONAL');
  assert.equal(one(resources, 'gcp:cloudscheduler/job:Job').inputs.paused, true);
  // Only an http function: Firestore access, but no event receiver and no topic to publish to.
  assert.deepEqual(
    ofType(resources, 'gcp:projects/iAMMember:IAMMember').map((g) => g.inputs.role),
    ['roles/datastore.user'],
  );
  assert.equal(ofType(resources, 'gcp:pubsub/topicIAMMember:TopicIAMMember').length, 0);
});

test('serverless grants its roles in the configured project', async () => {
  const { resources } = await plan('dev', [
    [gcpServerless, { project: 'acme-prod-1', functions: [{ name: 'job' }] }],
  ]);
  const grant = one(resources, 'gcp:projects/iAMMember:IAMMember');
  assert.equal(grant.inputs.project, 'acme-prod-1');
});

test('serverless refuses a pubsub function without a declared topic', async () => {
  await assert.rejects(
    plan('dev', [
      [gcpServerless, { functions: [{ name: 'f', trigger: 'pubsub', topic: 'nope' }] }],
    ]),
    /function f needs a topic/,
  );
});
