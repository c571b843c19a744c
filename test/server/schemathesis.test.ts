import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import type { DeploymentRecord, EnvironmentRecord } from '../../core/domain';
import { ADMIN_TOKEN, seedDeployment, startHarness, type Harness } from '../helpers/harness';

/** The seeded environment and deployment are the OpenAPI document's examples. */
const ENV_NAME = 'pr-142';
const DEPLOYMENT_ID = '3f2c9a4e-1b7d-4c8e-9f60-5a1d2b3c4e5f';
const DB_PASSWORD = 'fuzz-db-password-7c1e2f9a0b3d';
const WEBHOOK_SECRET = 'fuzz-webhook-secret-5e8d1c';
const REPO_ROOT = path.join(__dirname, '..', '..', '..');

function schemathesis(): string {
  const cache =
    process.env.STRATA_CACHE_DIR ??
    path.join(process.env.XDG_CACHE_HOME ?? path.join(os.homedir(), '.cache'), 'strata');
  return path.join(cache, 'venv', 'bin', 'st');
}

/** Redis URL with another database number: the fuzzer's writes stay out of everyone's way. */
function isolatedRedis(url: string): string {
  const u = new URL(url);
  u.pathname = '/13';
  return u.toString();
}

async function seed(h: Harness): Promise<void> {
  const { store, events, redis } = h.app.strata;
  await redis.flushdb();
  const now = new Date().toISOString();
  const env: EnvironmentRecord = {
    name: ENV_NAME,
    stage: 'dev',
    layers: { data: { target: 'local', config: {} } },
    config: {},
    requireApproval: false,
    status: 'ready',
    layerStates: {
      data: {
        target: 'local',
        status: 'ready',
        outputs: { host: '127.0.0.1', port: 5432, password: '[secret]' },
        updatedAt: now,
        lastDeployment: DEPLOYMENT_ID,
      },
    },
    createdAt: now,
    updatedAt: now,
  };
  const deployment: DeploymentRecord = {
    id: DEPLOYMENT_ID,
    environment: ENV_NAME,
    operation: 'up',
    layers: ['data'],
    status: 'succeeded',
    trigger: { kind: 'api', actor: 'admin' },
    layerRuns: {
      data: { status: 'succeeded', startedAt: now, finishedAt: now, changes: { create: 3 } },
    },
    createdAt: now,
    startedAt: now,
    finishedAt: now,
  };
  await store.createEnvironment(env);
  await seedDeployment(h.app.strata, deployment);
  await store.saveBundle({
    environment: ENV_NAME,
    generatedAt: now,
    entries: [
      { key: 'DB_HOST', value: '127.0.0.1', layer: 'data', secret: false },
      { key: 'DB_PASSWORD', value: DB_PASSWORD, layer: 'data', secret: true },
    ],
    outputs: {
      data: {
        host: { value: '127.0.0.1', secret: false },
        password: { value: DB_PASSWORD, secret: true },
      },
    },
  });
  await events.append(DEPLOYMENT_ID, 'deployment', { status: 'running' });
  await events.append(DEPLOYMENT_ID, 'deployment', { status: 'succeeded' });
  await events.append(DEPLOYMENT_ID, 'end', { status: 'succeeded' });
}

interface RunResult {
  code: number | null;
  output: string;
}

function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
  cwd: string,
): Promise<RunResult> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, cwd, stdio: ['ignore', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
  });
}

describe('Schemathesis against the OpenAPI document', () => {
  let h: Harness;
  before(async () => {
    // No worker: whatever the fuzzer queues is recorded, never provisioned.
    h = await startHarness({
      worker: false,
      env: {
        REDIS_URL: isolatedRedis(process.env.REDIS_URL ?? 'redis://127.0.0.1:6379'),
        GITHUB_WEBHOOK_SECRET: WEBHOOK_SECRET,
      },
    });
    await seed(h);
  });
  after(async () => {
    await h.app.strata.redis.flushdb();
    await h.close();
  });

  it('finds no server error, no response off its schema and no leaked secret', async (t) => {
    const reportDir = path.join(REPO_ROOT, 'dist', 'test-output', 'schemathesis');
    fs.mkdirSync(reportDir, { recursive: true });
    const { settings } = h;
    const result = await run(
      schemathesis(),
      [
        'run',
        `${h.url}/openapi.json`,
        '--header',
        `Authorization: Bearer ${ADMIN_TOKEN}`,
        '--checks',
        'not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance,response_headers_conformance',
        '--phases',
        'examples,coverage,fuzzing',
        '--max-examples',
        process.env.STRATA_FUZZ_EXAMPLES ?? '50',
        '--seed',
        '142',
        '--workers',
        '2',
        '--request-timeout',
        '20',
        '--no-color',
        '--generation-database',
        'none',
        '--report',
        'junit',
        '--report-dir',
        reportDir,
      ],
      {
        ...process.env,
        SCHEMATHESIS_HOOKS: 'schemathesis_hooks',
        STRATA_FUZZ_DEPLOYMENT: DEPLOYMENT_ID,
        PYTHONPATH: path.join(REPO_ROOT, 'test', 'server'),
        STRATA_FUZZ_SECRETS: [
          ADMIN_TOKEN,
          DB_PASSWORD,
          WEBHOOK_SECRET,
          settings.passphrase,
          settings.bundleKey,
        ].join('\n'),
      },
      reportDir,
    );
    fs.writeFileSync(path.join(reportDir, 'output.txt'), result.output);
    const cases = /(\d+) generated, (\d+) passed/.exec(result.output);
    // Debian's Python 3.11 sometimes crashes inside Hypothesis while it describes a generation
    // filter ("AST constructor recursion depth mismatch", a CPython bug). That is the tool
    // failing, not the API: it is tolerated only when no case failed and nothing else went wrong.
    const interpreterCrashOnly =
      result.code !== 0 &&
      /AST constructor recursion depth mismatch/.test(result.output) &&
      !/=+ FAILURES =+/.test(result.output) &&
      cases !== null &&
      cases[1] === cases[2];
    if (interpreterCrashOnly) {
      t.diagnostic(
        'schemathesis: its interpreter crashed on one operation (CPython bug); every case passed',
      );
    } else {
      assert.equal(result.code, 0, result.output.slice(-6000));
    }
    // An empty run is a failure too: every documented operation must have been exercised.
    const tested = /Tested:\s+(\d+)/.exec(result.output);
    const generated = /(\d+) generated/.exec(result.output);
    assert.ok(tested && generated, result.output.slice(-3000));
    const documented = h.app.documentedRoutes.filter((r) => !r.hidden).length;
    assert.equal(Number(tested[1]), documented);
    assert.ok(Number(generated[1]) > documented * 10);
    t.diagnostic(`schemathesis: ${tested[1]} operations, ${generated[1]} test cases, no failure`);
  });
});
