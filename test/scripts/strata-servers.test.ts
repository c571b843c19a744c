/**
 * The Redis and PostgreSQL that scripts/strata.sh starts when REDIS_URL / LOCAL_POSTGRES_URL are
 * not given: they belong to one data dir, start from a checkout inside a private (0700) directory,
 * and stop when the command that started them ends. The checkout here is a copy of the script
 * alone: starting servers needs neither the dependencies nor the build.
 */
import assert from 'node:assert/strict';
import { spawn, spawnSync } from 'node:child_process';
import fs from 'node:fs';
import net from 'node:net';
import os from 'node:os';
import path from 'node:path';
import { after, describe, it } from 'node:test';
import { Redis } from 'ioredis';
import { Client } from 'pg';
import { pause } from '../helpers/servers';

// Compiled to dist/test/scripts: the project root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');

interface Urls {
  REDIS_URL: string;
  LOCAL_POSTGRES_URL: string;
}

/** The environment of a user who set none of Strata's variables. */
function userEnv(extra: NodeJS.ProcessEnv = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = {
    ...process.env,
    PATH: `${path.dirname(process.execPath)}${path.delimiter}${process.env.PATH ?? ''}`,
    ...extra,
  };
  for (const name of ['REDIS_URL', 'LOCAL_POSTGRES_URL', 'STRATA_DATA_DIR']) {
    if (!(name in extra)) delete env[name];
  }
  return env;
}

function makeCheckout(parent: string): string {
  const dir = path.join(parent, 'checkout');
  fs.mkdirSync(path.join(dir, 'scripts'), { recursive: true });
  fs.copyFileSync(path.join(root, 'scripts', 'strata.sh'), path.join(dir, 'scripts', 'strata.sh'));
  return dir;
}

function strata(checkout: string, args: string[], env: NodeJS.ProcessEnv = {}): string {
  const run = spawnSync('bash', [path.join(checkout, 'scripts', 'strata.sh'), ...args], {
    encoding: 'utf8',
    env: userEnv(env),
  });
  assert.equal(run.status, 0, `strata.sh ${args.join(' ')}:\n${run.stdout}\n${run.stderr}`);
  return run.stdout;
}

function parseUrls(stdout: string): Urls {
  const values = Object.fromEntries(
    stdout
      .split('\n')
      .filter((l) => /^[A-Z_]+=/.test(l))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  ) as Partial<Urls>;
  assert.ok(values.REDIS_URL && values.LOCAL_POSTGRES_URL, stdout);
  return values as Urls;
}

const port = (url: string): number => Number(new URL(url).port);

/** Whether anything accepts a TCP connection on the port. */
function answers(p: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = net.connect(p, '127.0.0.1');
    socket.once('connect', () => {
      socket.destroy();
      resolve(true);
    });
    socket.once('error', () => resolve(false));
  });
}

async function redisDir(url: string): Promise<string> {
  const client = new Redis(url, { maxRetriesPerRequest: 0 });
  try {
    const [, dir] = (await client.config('GET', 'dir')) as [string, string];
    return dir;
  } finally {
    client.disconnect();
  }
}

async function postgresDataDirectory(url: string): Promise<string> {
  const client = new Client({ connectionString: url });
  await client.connect();
  try {
    return String((await client.query('SHOW data_directory')).rows[0]?.data_directory);
  } finally {
    await client.end();
  }
}

describe('the servers of a data dir', () => {
  // A private home, as /root is: only its owner may enter.
  const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-private-'));
  fs.chmodSync(parent, 0o700);
  const checkout = makeCheckout(parent);
  const other = path.join(parent, 'other-data');
  const clusters: string[] = [];

  after(() => {
    for (const dataDir of [path.join(checkout, '.strata'), other]) {
      spawnSync('bash', [path.join(checkout, 'scripts', 'strata.sh'), 'stop'], {
        env: userEnv({ STRATA_DATA_DIR: dataDir }),
      });
      const marker = path.join(dataDir, 'servers', 'postgres-cluster');
      if (fs.existsSync(marker)) clusters.push(fs.readFileSync(marker, 'utf8').trim());
    }
    for (const dir of [...clusters, parent]) fs.rmSync(dir, { recursive: true, force: true });
  });

  it('start in a checkout inside a private directory, and stop', async () => {
    const urls = parseUrls(strata(checkout, ['servers']));
    const dataDir = fs.realpathSync(path.join(checkout, '.strata'));
    assert.equal(await redisDir(urls.REDIS_URL), path.join(dataDir, 'redis'));
    const cluster = await postgresDataDirectory(urls.LOCAL_POSTGRES_URL);
    if (process.getuid?.() === 0) {
      // The postgres user cannot enter the private tree, so its cluster lives outside it.
      assert.ok(!cluster.startsWith(parent), cluster);
    }
    // A second start finds them running and uses them.
    assert.deepEqual(parseUrls(strata(checkout, ['servers'])), urls);

    strata(checkout, ['stop']);
    assert.equal(await answers(port(urls.REDIS_URL)), false, 'Redis stopped');
    assert.equal(await answers(port(urls.LOCAL_POSTGRES_URL)), false, 'PostgreSQL stopped');
  });

  it('are its own: another data dir gets servers of its own', async () => {
    const mine = parseUrls(strata(checkout, ['servers']));
    const theirs = parseUrls(strata(checkout, ['servers'], { STRATA_DATA_DIR: other }));
    assert.notEqual(port(theirs.REDIS_URL), port(mine.REDIS_URL));
    assert.notEqual(port(theirs.LOCAL_POSTGRES_URL), port(mine.LOCAL_POSTGRES_URL));
    assert.equal(await redisDir(theirs.REDIS_URL), path.join(fs.realpathSync(other), 'redis'));
    assert.notEqual(
      await postgresDataDirectory(theirs.LOCAL_POSTGRES_URL),
      await postgresDataDirectory(mine.LOCAL_POSTGRES_URL),
    );

    // A command run with the servers sees them, and they stop when it ends.
    const seen = strata(checkout, [
      'run',
      'node',
      '-e',
      'console.log(`REDIS_URL=${process.env.REDIS_URL}\\nLOCAL_POSTGRES_URL=${process.env.LOCAL_POSTGRES_URL}`)',
    ]);
    assert.deepEqual(parseUrls(seen), mine);
    assert.equal(await answers(port(mine.REDIS_URL)), false, 'Redis stopped with the command');
    assert.equal(await answers(port(mine.LOCAL_POSTGRES_URL)), false, 'PostgreSQL stopped');
    // The other data dir's servers are left alone.
    assert.equal(await answers(port(theirs.REDIS_URL)), true);
    assert.equal(await answers(port(theirs.LOCAL_POSTGRES_URL)), true);
  });

  it('stop when the command running with them is stopped', async () => {
    strata(checkout, ['stop'], { STRATA_DATA_DIR: other });
    const running = spawn(
      'bash',
      [path.join(checkout, 'scripts', 'strata.sh'), 'run', 'sleep', '600'],
      { env: userEnv({ STRATA_DATA_DIR: other }), stdio: ['ignore', 'pipe', 'pipe'] },
    );
    let output = '';
    running.stdout.on('data', (d: Buffer) => (output += d.toString()));
    running.stderr.on('data', (d: Buffer) => (output += d.toString()));
    const ended = new Promise((r) => running.once('exit', r));
    const portOf = (name: string): number =>
      Number(fs.readFileSync(path.join(other, 'servers', `${name}.port`), 'utf8'));
    const deadline = Date.now() + 60_000;
    const up = async (): Promise<boolean> =>
      (await answers(portOf('redis')).catch(() => false)) &&
      (await answers(portOf('postgres')).catch(() => false));
    while (!(await up().catch(() => false))) {
      assert.ok(Date.now() < deadline, `servers did not start:\n${output}`);
      await pause(200);
    }
    const ports = [portOf('redis'), portOf('postgres')];
    running.kill('SIGTERM');
    await ended;
    for (const p of ports) assert.equal(await answers(p), false, `port ${p} still answers`);
  });
});
