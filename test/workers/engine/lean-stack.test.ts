/**
 * The lean Stack against the real CLI and a file backend: what it opens and reads matches what
 * the SDK's own calls give, with the CLI run fewer times, and a wrong guess about the stack
 * still ends right.
 */
import assert from 'node:assert/strict';
import crypto from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import {
  LocalWorkspace,
  PulumiCommand,
  StackNotFoundError,
  type EngineEvent,
  type PulumiFn,
} from '@pulumi/pulumi/automation';
import {
  destroyAndRemove,
  isStackLocked,
  keepingOutputs,
  openLeanStack,
  openPastStaleLock,
  summaryKeeper,
} from '../../../workers/engine/lean-stack';

describe('a lean stack', () => {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-lean-stack-'));
  const backend = path.join(scratch, 'state');
  fs.mkdirSync(backend);
  after(() => fs.rmSync(scratch, { recursive: true, force: true }));

  const program = () =>
    Promise.resolve({
      plain: 'visible',
      password: pulumi.secret('hunter2'),
      nested: { user: 'app', token: pulumi.secret('inner-token') },
      list: ['a', 'b'],
    });

  /** A workspace whose CLI invocations are recorded, first word and second of each. */
  async function workspace(
    dir: string,
    inline: PulumiFn = program,
  ): Promise<{ ws: LocalWorkspace; calls: string[] }> {
    const command = await PulumiCommand.get();
    const calls: string[] = [];
    // Every CLI invocation goes through this method, which the SDK's typings leave out.
    const internal = command as unknown as {
      run: (args: string[], ...rest: unknown[]) => Promise<unknown>;
    };
    const run = internal.run.bind(command);
    internal.run = (args, ...rest) => {
      calls.push(args.slice(0, 2).join(' '));
      return run(args, ...rest);
    };
    const ws = await LocalWorkspace.create({
      workDir: path.join(scratch, dir),
      program: inline,
      pulumiCommand: command,
      projectSettings: {
        name: 'lean',
        runtime: 'nodejs',
        backend: { url: pathToFileURL(backend).href },
      },
      envVars: { PULUMI_CONFIG_PASSPHRASE: 'lean-test', PULUMI_SKIP_UPDATE_CHECK: 'true' },
    });
    return { ws, calls };
  }

  it('creates a new stack with one CLI call, and reads outputs and changes as the SDK does', async () => {
    fs.mkdirSync(path.join(scratch, 'one'));
    const { ws, calls } = await workspace('one');
    const stack = await openLeanStack('dev', ws, false);
    assert.deepEqual(calls, ['stack init']);

    const kept = summaryKeeper();
    const result = await stack.up({ onEvent: (e: EngineEvent) => kept.see(e) });
    assert.deepEqual(calls, ['stack init', 'up --yes', 'stack export']);
    assert.deepEqual(kept.changes(), { create: 1 });
    assert.deepEqual(result.outputs.plain, { value: 'visible', secret: false });
    assert.deepEqual(result.outputs.password, { value: 'hunter2', secret: true });
    assert.deepEqual(result.outputs.list, { value: ['a', 'b'], secret: false });
    // The SDK would call this one not secret and show it; it holds a secret, so it is one.
    assert.deepEqual(result.outputs.nested, {
      value: { user: 'app', token: 'inner-token' },
      secret: true,
    });
    const sdk = await ws.stackOutputs('dev');
    for (const key of ['plain', 'password', 'list', 'nested']) {
      assert.deepEqual(result.outputs[key]?.value, sdk[key]?.value, key);
    }
  });

  it('opens a stack known to exist without a CLI call, and keeps it working', async () => {
    fs.mkdirSync(path.join(scratch, 'two'));
    const { ws, calls } = await workspace('two');
    const created = await openLeanStack('known', ws, undefined);
    await created.up();
    calls.length = 0;

    const stack = await openLeanStack('known', ws, true);
    assert.deepEqual(calls, []);
    const kept = summaryKeeper();
    const result = await stack.up({ onEvent: (e: EngineEvent) => kept.see(e) });
    assert.deepEqual(kept.changes(), { same: 1 });
    assert.equal(result.outputs.password?.value, 'hunter2');
    assert.deepEqual(calls, ['up --yes', 'stack export']);
  });

  it('selects a stack thought new that exists, and reports one thought to exist that does not', async () => {
    fs.mkdirSync(path.join(scratch, 'three'));
    const { ws } = await workspace('three');
    await (await openLeanStack('taken', ws, false)).up();
    const again = await openLeanStack('taken', ws, false);
    assert.equal((await again.outputs()).plain?.value, 'visible');

    const missing = await openLeanStack('never-created', ws, true);
    await assert.rejects(missing.up(), StackNotFoundError);
  });

  it('opens a stack past the stale lock of a dead CLI, whether or not the stack was written', async () => {
    fs.mkdirSync(path.join(scratch, 'locked'));
    const { ws } = await workspace('locked');
    const locks = (stack: string): string =>
      path.join(backend, '.pulumi/locks/organization/lean', stack);
    /** The lock a CLI writes first and removes last, left as a CLI killed in between leaves it. */
    const leaveLock = (stack: string): void => {
      fs.mkdirSync(locks(stack), { recursive: true });
      const content = {
        pid: 4242,
        username: 'gone',
        hostname: 'dead-worker',
        timestamp: new Date(),
      };
      fs.writeFileSync(
        path.join(locks(stack), `${crypto.randomUUID()}.json`),
        JSON.stringify(content),
      );
    };

    // A `stack init` killed after taking the lock, before writing the stack.
    leaveLock('half-made');
    await assert.rejects(openLeanStack('half-made', ws, undefined), (error) =>
      isStackLocked(error),
    );
    await assert.rejects(openLeanStack('half-made', ws, false), (error) => isStackLocked(error));
    const made = await openPastStaleLock('half-made', ws);
    assert.equal(made.name, 'half-made');
    assert.deepEqual(fs.readdirSync(locks('half-made')), []);
    const result = await made.up();
    assert.equal(result.summary.result, 'succeeded');
    assert.deepEqual(
      (await ws.listStacks()).map((s) => s.name).filter((n) => n.startsWith('half-made')),
      ['half-made'],
      'the stack made under a name of its own was renamed, not left beside it',
    );
    assert.match(
      fs.readFileSync(path.join(scratch, 'locked', 'Pulumi.half-made.yaml'), 'utf8'),
      /encryptionsalt/,
    );

    // An `up` killed while it held the lock of a stack that exists: the stack and its state stay.
    leaveLock('half-made');
    await assert.rejects(made.up(), (error) => isStackLocked(error));
    const again = await openPastStaleLock('half-made', ws);
    assert.deepEqual(fs.readdirSync(locks('half-made')), []);
    assert.equal((await again.outputs()).password?.value, 'hunter2');
    assert.equal((await again.up()).summary.resourceChanges?.same, 1);
  });

  it("takes an up's outputs from its program's run, as the state records them, and a preview's from the state", async () => {
    fs.mkdirSync(path.join(scratch, 'four'));
    let runs = 0;
    const ran = keepingOutputs(async () => ({
      ...(await program()),
      runs: ++runs,
      gone: undefined,
    }));
    const { ws, calls } = await workspace('four', ran.program);
    const stack = await openLeanStack('direct', ws, false, ran.take);
    const result = await stack.up();
    assert.deepEqual(calls, ['stack init', 'up --yes'], 'the outputs were read back');
    const stateOutputs = await (await openLeanStack('direct', ws, true)).outputs();
    assert.deepEqual(result.outputs, stateOutputs);
    assert.deepEqual(result.outputs.runs, { value: 1, secret: false });
    assert.equal('gone' in result.outputs, false);

    // A preview runs the program (runs: 2) and changes nothing: its outputs are the state's.
    calls.length = 0;
    await stack.preview();
    assert.deepEqual((await stack.outputs()).runs, { value: 1, secret: false });
    assert.equal(calls.at(-1), 'stack export', 'a preview took the outputs of its own run');
  });

  it('destroys and removes a stack in one CLI call, and gives the workspace its hook back either way', async () => {
    fs.mkdirSync(path.join(scratch, 'five'));
    const { ws, calls } = await workspace('five');
    await (await openLeanStack('doomed', ws, false)).up();
    calls.length = 0;
    const kept = summaryKeeper();
    await destroyAndRemove(await openLeanStack('doomed', ws, true), {
      onEvent: (e: EngineEvent) => kept.see(e),
    });
    assert.deepEqual(calls, ['destroy --yes']);
    assert.deepEqual(kept.changes(), { delete: 1 });
    assert.ok(
      !(await ws.listStacks()).some((s) => s.name === 'doomed'),
      'the stack is still there',
    );
    // The hook is the workspace's again: later commands get no --remove.
    assert.deepEqual(await ws.serializeArgsForOp('doomed'), []);

    await assert.rejects(
      destroyAndRemove(await openLeanStack('never-was', ws, true), {}),
      StackNotFoundError,
    );
    assert.deepEqual(await ws.serializeArgsForOp('never-was'), []);
  });
});
