import * as pulumi from '@pulumi/pulumi';
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { test } from 'node:test';
import { cloudflareNetwork } from '../../../programs/cloudflare/network';
import { cloudflareServerless } from '../../../programs/cloudflare/serverless';
import { cloudflareStorage } from '../../../programs/cloudflare/storage';
import { resolveLayerConfig } from '../../../programs/lib/config';
import { hcloudNetwork } from '../../../programs/hcloud/network';
import { waitForRegistrations } from '../../../programs/lib/pulumi-internals';
import type { LayerDefinition } from '../../../programs/lib/types';
import { refused } from '../../helpers/config-errors';
import { layerPlanner, ofType } from '../../helpers/plans';

const ACCOUNT = '0123456789abcdef0123456789abcdef';
const ZONE = 'fedcba9876543210fedcba9876543210';

// planLayers is process-global: every plan in this file is awaited in turn.
const plan = layerPlanner('edge');

/**
 * Runs a layer program the way a deployment does (not offline), under mocks set here:
 * planLayers always runs offline, so it cannot show what a real `up` would refuse.
 */
async function deploy(definition: LayerDefinition, config: Record<string, unknown>) {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    'strata',
    'edge',
    false,
  );
  try {
    await definition.program({
      environment: 'edge',
      stage: 'dev',
      config: resolveLayerConfig(definition, 'dev', config),
      inputs: {},
      runtime: {
        dataDir: '/tmp',
        bucketsDir: '/tmp/buckets',
        localPostgresUrl: 'postgres://x@h/db',
        offline: false,
      },
    })();
  } finally {
    // Registrations still in flight would land on the next test's mocks.
    await waitForRegistrations();
  }
}

test('bad cloudflare config is refused with the field named', () => {
  refused(cloudflareNetwork, { zoneId: 'example.com' }, 'layers.network.config.zoneId');
  refused(cloudflareNetwork, { records: [{ name: 'www', type: 'MX' }] }, 'records[0].type');
  refused(cloudflareNetwork, { rateLimits: [{ name: 'api', period: 7 }] }, 'rateLimits[0].period');
  refused(cloudflareStorage, { accountId: 'abc' }, 'layers.storage.config.accountId');
  refused(cloudflareStorage, { jurisdiction: 'mars' }, 'layers.storage.config.jurisdiction');
  refused(
    cloudflareStorage,
    { edge: { workers: [{ name: 'w', routes: [], extra: 1 }] } },
    'edge.workers[0].extra',
  );
  refused(cloudflareServerless, { workers: [{ name: 'Bad Name' }] }, 'workers[0].name');
  refused(
    cloudflareServerless,
    { workers: [{ name: 'w', vars: { lower: 'x' } }] },
    'workers[0].vars',
  );
});

test('network: proxied records, a per-IP rate limit, the managed WAF in prod', async () => {
  const { resources, outputs } = await plan('prod', [
    [
      cloudflareNetwork,
      {
        zoneId: ZONE,
        records: [
          { name: 'www', type: 'A', content: '192.0.2.10', ttl: 300 },
          { name: 'docs', type: 'CNAME', content: 'example.github.io', proxied: false, ttl: 300 },
        ],
        rateLimits: [{ name: 'api', pathPrefix: '/api', requestsPerPeriod: 50, period: 10 }],
      },
    ],
  ]);
  const records = ofType(resources, 'cloudflare:index/dnsRecord:DnsRecord');
  assert.deepEqual(
    records.map((r) => [r.inputs.name, r.inputs.proxied, r.inputs.ttl]),
    [
      ['www', true, 1],
      ['docs', false, 300],
    ],
  );
  const rulesets = ofType(resources, 'cloudflare:index/ruleset:Ruleset');
  const limit = rulesets.find((r) => r.inputs.phase === 'http_ratelimit');
  const rule = (limit?.inputs.rules as Record<string, Record<string, unknown>>[])[0];
  assert.deepEqual(rule?.ratelimit?.characteristics, ['ip.src', 'cf.colo.id']);
  assert.equal(rule?.ratelimit?.requestsPerPeriod, 50);
  assert.ok(rulesets.some((r) => r.inputs.phase === 'http_request_firewall_managed'));
  assert.equal(outputs.network?.hostnames?.value, 'www,docs');
});

test('storage: a private R2 bucket with bucket-scoped S3 credentials held as secrets', async () => {
  const { resources, outputs } = await plan('dev', [
    [cloudflareStorage, { accountId: ACCOUNT, expireAfterDays: 30 }],
  ]);
  const [bucket] = ofType(resources, 'cloudflare:index/r2Bucket:R2Bucket');
  assert.equal(bucket?.inputs.name, 'edge-data');
  // Nothing exposes it: no managed r2.dev domain, no custom domain.
  assert.equal(ofType(resources, 'cloudflare:index/r2ManagedDomain:R2ManagedDomain').length, 0);
  assert.equal(ofType(resources, 'cloudflare:index/r2CustomDomain:R2CustomDomain').length, 0);
  const [token] = ofType(resources, 'cloudflare:index/accountToken:AccountToken');
  const policy = (token?.inputs.policies as { resources: string }[])[0];
  assert.deepEqual(JSON.parse(policy?.resources ?? '{}'), {
    [`com.cloudflare.edge.r2.bucket.${ACCOUNT}_default_edge-data`]: '*',
  });
  const [lifecycle] = ofType(resources, 'cloudflare:index/r2BucketLifecycle:R2BucketLifecycle');
  const expiry = (
    lifecycle?.inputs.rules as Record<string, Record<string, Record<string, unknown>>>[]
  )[0];
  assert.equal(expiry?.deleteObjectsTransition?.condition?.maxAge, 30 * 86400);
  assert.equal(outputs.storage?.endpoint?.value, `https://${ACCOUNT}.r2.cloudflarestorage.com`);
  assert.equal(outputs.storage?.accessKey?.secret, true);
  assert.equal(outputs.storage?.secretKey?.secret, true);
  // Under mocks the token has no value: the secret is the SHA-256 of an empty one.
  assert.equal(outputs.storage?.secretKey?.value, createHash('sha256').update('').digest('hex'));
});

test('storage edge block: one A record per address the network layer reserved, workers with routes', async () => {
  const { resources, outputs } = await plan('dev', [
    [hcloudNetwork, { primaryIps: 2 }],
    [
      cloudflareStorage,
      {
        accountId: ACCOUNT,
        zoneId: ZONE,
        edge: {
          records: [{ name: 'app.example.com' }],
          workers: [{ name: 'hook', routes: ['hooks.example.com/in*'], bindBucket: true }],
        },
      },
    ],
  ]);
  const records = ofType(resources, 'cloudflare:index/dnsRecord:DnsRecord');
  assert.equal(records.length, 2);
  assert.ok(records.every((r) => r.inputs.name === 'app.example.com' && r.inputs.proxied === true));
  const [script] = ofType(resources, 'cloudflare:index/workersScript:WorkersScript');
  assert.equal(script?.inputs.scriptName, 'edge-hook');
  assert.deepEqual(script?.inputs.bindings, [
    { type: 'r2_bucket', name: 'BUCKET', bucketName: 'edge-data' },
  ]);
  const [route] = ofType(resources, 'cloudflare:index/workersRoute:WorkersRoute');
  assert.equal(route?.inputs.pattern, 'hooks.example.com/in*');
  assert.equal(outputs.storage?.workers?.value, 'edge-hook');
});

test('an A record without content fails when no layer reports addresses', async () => {
  await assert.rejects(
    plan('dev', [
      [cloudflareStorage, { accountId: ACCOUNT, edge: { records: [{ name: 'app' }] } }],
    ]),
    /no content and no layer reports addresses/,
  );
});

test('serverless: workers get routes and plain variables', async () => {
  const { resources } = await plan('dev', [
    [
      cloudflareServerless,
      {
        accountId: ACCOUNT,
        zoneId: ZONE,
        workers: [
          { name: 'api', routes: ['a.example.com/*', 'b.example.com/*'], vars: { MODE: 'dev' } },
        ],
      },
    ],
  ]);
  const [script] = ofType(resources, 'cloudflare:index/workersScript:WorkersScript');
  assert.deepEqual(script?.inputs.bindings, [{ type: 'plain_text', name: 'MODE', text: 'dev' }]);
  assert.equal(script?.inputs.accountId, ACCOUNT);
  assert.equal(ofType(resources, 'cloudflare:index/workersRoute:WorkersRoute').length, 2);
});

test('each layer lists the IDs it always needs to deploy', () => {
  assert.deepEqual(cloudflareNetwork.requiredToDeploy, ['zoneId']);
  assert.deepEqual(cloudflareStorage.requiredToDeploy, ['accountId']);
  assert.deepEqual(cloudflareServerless.requiredToDeploy, ['accountId']);
});

test('offline plans show placeholders where the IDs go', async () => {
  const { resources } = await plan('dev', [
    [cloudflareStorage, { edge: { rateLimits: [{ name: 'api' }] } }],
  ]);
  const [bucket] = ofType(resources, 'cloudflare:index/r2Bucket:R2Bucket');
  assert.equal(bucket?.inputs.accountId, 'unset-accountId');
  const [ruleset] = ofType(resources, 'cloudflare:index/ruleset:Ruleset');
  assert.equal(ruleset?.inputs.zoneId, 'unset-zoneId');
});

test('a deployment without a needed ID fails naming the config field', async () => {
  await assert.rejects(
    deploy(cloudflareNetwork, { records: [{ name: 'www', content: '192.0.2.1' }] }),
    /layers\.network\.config\.zoneId: required to deploy on cloudflare/,
  );
  await assert.rejects(
    deploy(cloudflareStorage, {}),
    /layers\.storage\.config\.accountId: required to deploy on cloudflare \(the R2 bucket\)/,
  );
  await assert.rejects(
    deploy(cloudflareServerless, { zoneId: ZONE, workers: [{ name: 'api', routes: [] }] }),
    /layers\.serverless\.config\.accountId: required to deploy/,
  );
});

test('a zone is needed only by what belongs to the zone', async () => {
  // The storage edge block: rate limits and routes need the zone, route-less Workers do not.
  await assert.rejects(
    deploy(cloudflareStorage, { accountId: ACCOUNT, edge: { rateLimits: [{ name: 'api' }] } }),
    /layers\.storage\.config\.zoneId: required to deploy on cloudflare \(the edge block's rate limits\)/,
  );
  await assert.rejects(
    deploy(cloudflareStorage, {
      accountId: ACCOUNT,
      edge: { workers: [{ name: 'hook', routes: ['hooks.example.com/*'] }] },
    }),
    /layers\.storage\.config\.zoneId: .*Workers routes/,
  );
  await deploy(cloudflareStorage, {
    accountId: ACCOUNT,
    edge: { workers: [{ name: 'hook', routes: [] }] },
  });
  // Serverless: routes need the zone, a route-less worker does not.
  await assert.rejects(
    deploy(cloudflareServerless, {
      accountId: ACCOUNT,
      workers: [{ name: 'api', routes: ['a.example.com/*'] }],
    }),
    /layers\.serverless\.config\.zoneId: required to deploy on cloudflare \(Workers routes\)/,
  );
  await deploy(cloudflareServerless, {
    accountId: ACCOUNT,
    workers: [{ name: 'api', routes: [] }],
  });
});
