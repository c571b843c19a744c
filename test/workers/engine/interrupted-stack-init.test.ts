/**
 * A `stack init` killed between taking its stack's lock and writing the stack, on a shared
 * backend (PostgreSQL): the next attempt must still open the stack and run. The real CLI is held
 * at that point by a trigger that makes writes of stacks wait, then killed.
 */
import assert from 'node:assert/strict';
import { execFile, spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { promisify } from 'node:util';
import { describe, it } from 'node:test';
import pg from 'pg';
import { PROJECT_NAME, stackName } from '../../../core/stack-name';
import { runLayer } from '../../../workers/engine/run-layer';
import { uniqueName } from '../../helpers/harness';
import { PrivatePostgres, until } from '../../helpers/servers';

const PASSPHRASE = 'interrupted-init-passphrase-0123456789';
const HOLD = 4242;

describe('a stack init killed on a shared backend', () => {
  it('leaves a lock on a stack never written, and the next attempt opens the stack past it', async () => {
    // A server that ends the query of a client gone away, as the CLI's will be.
    const postgres = await PrivatePostgres.start({
      settings: ['client_connection_check_interval=100'],
    });
    const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-interrupted-init-'));
    const db = new pg.Client({ connectionString: postgres.urlAt('127.0.0.1') });
    const state = new pg.Client({ connectionString: postgres.urlAt('127.0.0.1', 'pulumi') });
    try {
      await db.connect();
      await db.query('CREATE DATABASE pulumi');
      await db.end();
      const backendUrl = `${postgres.urlAt('127.0.0.1', 'pulumi')}?sslmode=disable`;
      await state.connect();
      const keys = async (prefix: string): Promise<string[]> =>
        (
          await state.query<{ key: string }>(
            'SELECT key FROM pulumi_state WHERE key LIKE $1 ORDER BY key',
            [`pulumi/.pulumi/${prefix}%`],
          )
        ).rows.map((r) => r.key);

      const environment = uniqueName('half-init');
      const stack = stackName(environment, 'storage');
      const project = path.join(scratch, 'project');
      fs.mkdirSync(project);
      fs.writeFileSync(
        path.join(project, 'Pulumi.yaml'),
        `name: ${PROJECT_NAME}\nruntime: nodejs\n`,
      );
      const cliEnv = {
        ...process.env,
        PULUMI_BACKEND_URL: backendUrl,
        PULUMI_CONFIG_PASSPHRASE: PASSPHRASE,
        PULUMI_SKIP_UPDATE_CHECK: 'true',
      };
      const pulumi = (...args: string[]) =>
        promisify(execFile)('pulumi', [...args, '--non-interactive'], {
          cwd: project,
          env: cliEnv,
        });
      // The CLI makes its table on first use.
      await pulumi('stack', 'ls');

      // Any write of a stack waits while the holder keeps its advisory lock: a lock that touches
      // no table, so the CLI's own setup of its table is not held up.
      await state.query(`CREATE FUNCTION hold_stacks() RETURNS trigger AS $$ BEGIN
        IF NEW.key LIKE '%/.pulumi/stacks/%' THEN PERFORM pg_advisory_xact_lock(${HOLD}); END IF;
        RETURN NEW; END $$ LANGUAGE plpgsql`);
      await state.query(
        'CREATE TRIGGER hold_stacks BEFORE INSERT OR UPDATE ON pulumi_state FOR EACH ROW EXECUTE FUNCTION hold_stacks()',
      );
      const holder = new pg.Client({ connectionString: postgres.urlAt('127.0.0.1', 'pulumi') });
      await holder.connect();
      try {
        await holder.query('SELECT pg_advisory_lock($1)', [HOLD]);
        const init = spawn('pulumi', ['stack', 'init', stack, '--non-interactive'], {
          cwd: project,
          env: cliEnv,
          stdio: 'ignore',
        });
        const exited = new Promise((resolve) => init.once('exit', resolve));
        /** Queries of the state database waiting for the holder. */
        const held = async (): Promise<number | null> =>
          (
            await state.query(
              "SELECT 1 FROM pg_stat_activity WHERE datname = 'pulumi' AND wait_event = 'advisory'",
            )
          ).rowCount;
        await until(
          'the CLI holds the lock and waits to write the stack',
          async () =>
            (await held()) === 1 &&
            (await keys(`locks/organization/${PROJECT_NAME}/${stack}/`)).length === 1,
        );
        init.kill('SIGKILL');
        await exited;
        await until("the server ends the dead CLI's query", async () => (await held()) === 0, 5000);
      } finally {
        await holder.end();
      }
      await state.query('DROP TRIGGER hold_stacks ON pulumi_state');
      assert.deepEqual(await keys(`stacks/${PROJECT_NAME}/${stack}`), [], 'the stack was written');
      assert.equal((await keys(`locks/organization/${PROJECT_NAME}/${stack}/`)).length, 1);
      await assert.rejects(pulumi('stack', 'init', stack), /currently locked/);
      await assert.rejects(pulumi('cancel', '--yes', '--stack', stack), /no stack named/);

      // The resumed attempt, as a worker starts it after the first one's worker died.
      const dataDir = path.join(scratch, 'data');
      const events: unknown[] = [];
      const result = await runLayer(
        {
          deploymentId: 'interrupted-init',
          environment,
          stage: 'dev',
          layer: 'storage',
          target: 'local',
          operation: 'up',
          config: {},
          inputs: {},
          dataDir,
          localPostgresUrl: postgres.url,
          backendUrl,
          bucketsDir: path.join(scratch, 'buckets'),
          recover: true,
        },
        {
          onEvent: (event) => events.push(event),
          env: { PULUMI_CONFIG_PASSPHRASE: PASSPHRASE },
          timeoutMs: 120_000,
          lease: { validForMs: () => 120_000, onRenew: () => () => undefined },
        },
      );
      assert.equal(result.changes.create, 2, JSON.stringify(result.changes));
      assert.ok(fs.existsSync(path.join(scratch, 'buckets', environment)), 'no bucket was made');
      const text = JSON.stringify(events);
      assert.match(text, /opened the stack past a stale lock left by an interrupted operation/);
      assert.doesNotMatch(text, /currently locked/);
      assert.deepEqual(await keys(`locks/`), []);
      assert.deepEqual(
        (await keys(`stacks/${PROJECT_NAME}/`)).filter((k) => k.endsWith('.json')),
        [`pulumi/.pulumi/stacks/${PROJECT_NAME}/${stack}.json`],
        'the stack is there, under its own name only',
      );
    } finally {
      await db.end().catch(() => undefined);
      await state.end().catch(() => undefined);
      postgres.close();
      fs.rmSync(scratch, { recursive: true, force: true });
    }
  });
});
