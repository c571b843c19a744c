import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'dotenv';
import {
  ADMIN_TOKEN,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';

const CLI = path.join(__dirname, '..', '..', 'cli', 'strata.js');
const REPO = path.join(__dirname, '..', '..', '..');

interface Run {
  code: number;
  stdout: string;
  stderr: string;
}

/** The real command, as a user runs it: a process reading STRATA_URL and STRATA_TOKEN. */
function strata(h: Harness, args: string[], env: NodeJS.ProcessEnv = {}): Promise<Run> {
  return new Promise((resolve) => {
    execFile(
      process.execPath,
      [CLI, ...args],
      {
        cwd: tmp,
        env: { ...process.env, STRATA_URL: h.url, STRATA_TOKEN: ADMIN_TOKEN, ...env },
        timeout: 180_000,
      },
      (error, stdout, stderr) => {
        const code = error ? (typeof error.code === 'number' ? error.code : -1) : 0;
        resolve({ code, stdout, stderr });
      },
    );
  });
}

let tmp = '';

describe('strata command line', () => {
  let h: Harness;
  const name = uniqueName('cli');
  const prod = uniqueName('cli-prod');
  before(async () => {
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    h = await startHarness();
  });
  after(async () => {
    for (const env of [name, prod]) {
      const r = await h.api(`/v1/environments/${env}`, { method: 'DELETE' });
      if (r.status === 202) await waitForDeployment(h, ((await r.json()) as { id: string }).id);
    }
    await h.close();
    fs.rmSync(tmp, { recursive: true, force: true });
  });

  it('runs as `npx strata` from the project, and says what is missing', async () => {
    const help = await new Promise<Run>((resolve) =>
      execFile(
        'npx',
        ['--no-install', 'strata', '--help'],
        { cwd: REPO },
        (error, stdout, stderr) =>
          resolve({ code: error ? Number(error.code) : 0, stdout, stderr }),
      ),
    );
    assert.equal(help.code, 0, help.stderr);
    assert.match(help.stdout, /Usage: strata/);
    assert.match(help.stdout, /dotenv/);
    const noToken = await strata(h, ['environments'], { STRATA_TOKEN: '' });
    assert.equal(noToken.code, 2);
    assert.match(noToken.stderr, /STRATA_TOKEN/);
    const bad = await strata(h, ['environments'], { STRATA_TOKEN: 'wrong-token-wrong-token' });
    assert.equal(bad.code, 2);
    assert.match(bad.stderr, /not valid/);
  });

  it('creates from layers, follows the log to the end in plain lines, and exits 0', async () => {
    const run = await strata(h, [
      'create',
      name,
      '--layer',
      'data=local',
      '--ttl',
      '4h',
      '--follow',
    ]);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /deploy hook \(shown once\): http/);
    assert.match(run.stdout, /Updating \(data\):/);
    assert.match(
      run.stdout,
      /\[data\] \+ pulumi-nodejs:dynamic\/strata:PostgresDatabase database created/,
    );
    assert.match(run.stdout, /\[data\] Resources: \+3 create/);
    assert.match(run.stdout, /up .*: succeeded/);
    assert.ok(!run.stdout.includes('\r'), 'no progress display when stdout is not a terminal');
  });

  it('lists and shows environments and deployments, secrets masked', async () => {
    const list = await strata(h, ['environments']);
    assert.equal(list.code, 0);
    assert.match(list.stdout, new RegExp(`${name}\\s+dev\\s+ready\\s+data:local\\s+4h`));
    const show = await strata(h, ['environment', name]);
    assert.match(show.stdout, /data \(local\): ready/);
    assert.match(show.stdout, /password = \*{8}/);
    const history = await strata(h, ['deployments', name]);
    const id = history.stdout.split('\n')[1]?.split(/\s+/)[0] ?? '';
    assert.match(history.stdout, /up\s+succeeded\s+api/);
    const one = await strata(h, ['--json', 'deployment', id]);
    assert.equal((JSON.parse(one.stdout) as { status: string }).status, 'succeeded');
  });

  it('writes the .env to a file only its owner can read', async () => {
    const file = path.join(tmp, 'app.env');
    const run = await strata(h, ['dotenv', name, '-o', file]);
    assert.equal(run.code, 0, run.stderr);
    const env = parse(fs.readFileSync(file));
    assert.ok(env.DB_PASSWORD && env.DATABASE_URL);
    assert.equal(fs.statSync(file).mode & 0o777, 0o600);
    // The password was printed nowhere else.
    const show = await strata(h, ['environment', name]);
    assert.ok(!show.stdout.includes(env.DB_PASSWORD));
  });

  it('deploys an operation with the live progress display', async () => {
    const run = await strata(h, ['deploy', name, 'preview', '--follow', '--progress']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /\r\x1b\[2K[⠋⠙⠹⠸⠼⠴⠦⠧⠇⠏] /);
    assert.match(run.stdout, /steps ·/);
    assert.match(run.stdout, /preview .*: succeeded/);
  });

  it('exits 3 for a cancelled deployment', async () => {
    // The refresh waits behind the up, so cancelling it ends it at once.
    const up = await strata(h, ['--json', 'deploy', name, 'up']);
    const refresh = await strata(h, ['--json', 'deploy', name, 'refresh']);
    const upId = (JSON.parse(up.stdout) as { id: string }).id;
    const refreshId = (JSON.parse(refresh.stdout) as { id: string }).id;
    const cancel = await strata(h, ['cancel', refreshId]);
    assert.equal(cancel.code, 0, cancel.stderr);
    const logs = await strata(h, ['logs', refreshId]);
    assert.equal(logs.code, 3, logs.stdout + logs.stderr);
    assert.match(logs.stdout, /cancelled/);
    assert.equal((await strata(h, ['logs', upId])).code, 0);
  });

  it('creates from a JSON file, approves a held prod deployment and rejects the next', async () => {
    const spec = path.join(tmp, 'spec.json');
    fs.writeFileSync(
      spec,
      JSON.stringify({ name: prod, stage: 'prod', layers: { data: { target: 'local' } } }),
    );
    const created = await strata(h, ['--json', 'create', '--file', spec]);
    assert.equal(created.code, 0, created.stderr);
    const id = (JSON.parse(created.stdout) as { id: string }).id;
    await waitForDeployment(h, id, 120_000, ['pending_approval']);
    const shown = await strata(h, ['deployment', id]);
    assert.match(shown.stdout, /status\s+pending_approval/);
    assert.match(shown.stdout, /data\s+create\s+urn:pulumi:/);
    const approve = await strata(h, ['approve', id, '--follow']);
    assert.equal(approve.code, 0, approve.stdout + approve.stderr);
    assert.match(approve.stdout, /up .*: succeeded/);

    const next = await strata(h, ['--json', 'deploy', prod, 'up']);
    const nextId = (JSON.parse(next.stdout) as { id: string }).id;
    await waitForDeployment(h, nextId, 120_000, ['pending_approval']);
    const reject = await strata(h, ['reject', nextId]);
    assert.equal(reject.code, 0, reject.stderr);
    assert.equal((await strata(h, ['logs', nextId])).code, 3);
  });

  it('destroys and follows to the end', async () => {
    const run = await strata(h, ['destroy', name, '--follow']);
    assert.equal(run.code, 0, run.stdout + run.stderr);
    assert.match(run.stdout, /destroy .*: succeeded/);
    assert.equal((await h.api(`/v1/environments/${name}`)).status, 404);

    // A prod environment's destroy waits for approval, like its ups.
    const held = await strata(h, ['--json', 'destroy', prod]);
    assert.equal(held.code, 0, held.stderr);
    const id = (JSON.parse(held.stdout) as { id: string }).id;
    await waitForDeployment(h, id, 120_000, ['pending_approval']);
    const approved = await strata(h, ['approve', id, '--follow']);
    assert.equal(approved.code, 0, approved.stdout + approved.stderr);
    assert.match(approved.stdout, /destroy .*: succeeded/);
    assert.equal((await h.api(`/v1/environments/${prod}`)).status, 404);
  });
});

describe('strata command line: a failed deployment', () => {
  it('exits 1 with the error', async () => {
    // PostgreSQL is not where this worker looks, so the data layer fails.
    const h = await startHarness({
      env: { LOCAL_POSTGRES_URL: 'postgres://postgres@127.0.0.1:1/postgres' },
    });
    tmp = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-'));
    const name = uniqueName('cli-fail');
    try {
      const run = await strata(h, ['create', name, '--layer', 'data=local', '--follow']);
      assert.equal(run.code, 1, run.stdout + run.stderr);
      assert.match(run.stdout, /up .*: failed/);
    } finally {
      await h.app.strata.store.deleteEnvironment(name).catch(() => undefined);
      await h.close();
      fs.rmSync(tmp, { recursive: true, force: true });
    }
  });
});
