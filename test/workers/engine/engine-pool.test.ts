import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { EnginePool } from '../../../workers/engine/engine-pool';
import { processStat } from '../../../workers/engine/process-tree';
import { engineEnvironment } from '../../../workers/engine/run-layer';
import { pause } from '../../helpers/servers';

const passphrase = (pid: number): string | undefined =>
  fs
    .readFileSync(`/proc/${pid}/environ`, 'utf8')
    .split('\0')
    .find((v) => v.startsWith('PULUMI_CONFIG_PASSPHRASE='))
    ?.slice('PULUMI_CONFIG_PASSPHRASE='.length);

const alive = (pid: number): boolean => {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
};

/** Live children of this process other than `taken`: the engine processes the pool keeps. */
const waitingEngines = (taken: number[]): number[] =>
  fs
    .readdirSync('/proc')
    .filter((p) => /^\d+$/.test(p) && !taken.includes(Number(p)))
    .filter((p) => {
      const stat = processStat(p);
      return stat !== undefined && stat.state !== 'Z' && stat.parent === process.pid;
    })
    .map(Number);

describe('warm engine processes', () => {
  it('hands each out once, only to an operation with their environment, warms the next once none runs, and ends the idle ones', async () => {
    const env = engineEnvironment(process.env, { PULUMI_CONFIG_PASSPHRASE: 'first' });
    const pool = new EnginePool(1, env);
    const taken: number[] = [];
    try {
      const first = pool.take(env);
      const second = pool.take(env);
      const other = pool.take(
        engineEnvironment(process.env, { PULUMI_CONFIG_PASSPHRASE: 'second' }),
      );
      for (const engine of [first, second, other]) {
        assert.ok(engine.child.pid, 'an engine process started');
        taken.push(engine.child.pid);
      }
      assert.equal(new Set(taken).size, 3, 'an engine process was handed out twice');
      // The environment is fixed when a process starts: each got the one its operation needs.
      assert.equal(passphrase(taken[0] ?? 0), 'first');
      assert.equal(passphrase(taken[2] ?? 0), 'second');

      // While an operation runs, no replacement loads beside it.
      await pause(500);
      assert.deepEqual(
        waitingEngines(taken),
        [],
        'an engine process was warmed beside a running one',
      );
      // Once they all ended, the pool is filled again; closing ends the waiting process.
      for (const engine of [first, second, other]) engine.child.kill('SIGKILL');
      let waiting: number[] = [];
      for (let i = 0; i < 50 && waiting.length === 0; i++) {
        await pause(100);
        waiting = waitingEngines(taken);
      }
      assert.equal(waiting.length, 1, 'no engine process waits for the next operation');
      pool.close();
      for (let i = 0; i < 50 && waiting.some(alive); i++) await pause(100);
      assert.ok(!waiting.some(alive), 'an idle engine process outlived the pool');
    } finally {
      pool.close();
      for (const pid of taken) if (alive(pid)) process.kill(pid, 'SIGKILL');
    }
  });
});
