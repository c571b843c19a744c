/**
 * The worker reads the CLI's version once and hands it to its engine processes, which then run
 * no `pulumi version` of their own. Seen through a wrapper first on PATH that records each
 * command line and runs the real CLI.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCliVersion } from '../../../workers/engine/cli-version';
import { uniqueName } from '../../helpers/harness';
import { StrataProcesses } from '../../helpers/servers';

describe('the CLI version', () => {
  it('is what `pulumi version` prints, or a problem that says what to do', async () => {
    const printed = execFileSync('pulumi', ['version'], { encoding: 'utf8' }).trim();
    assert.deepEqual(await readCliVersion(process.env), { version: printed.replace(/^v/, '') });

    const empty = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-no-cli-'));
    try {
      const missing = await readCliVersion({ ...process.env, PATH: empty });
      assert.ok('problem' in missing);
      assert.match(missing.problem, /could not be run .*"npm start" builds it, or put one on PATH/);
    } finally {
      fs.rmSync(empty, { recursive: true, force: true });
    }
  });

  it('is read once by the worker, not again by each engine process', async () => {
    const real = execFileSync('sh', ['-c', 'command -v pulumi'], { encoding: 'utf8' }).trim();
    const wrapper = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-calls-'));
    const calls = path.join(wrapper, 'calls.log');
    fs.writeFileSync(
      path.join(wrapper, 'pulumi'),
      `#!/bin/sh\necho "$*" >> '${calls}'\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
    const strata = await StrataProcesses.start({
      env: { PATH: `${wrapper}${path.delimiter}${process.env.PATH ?? ''}` },
    });
    try {
      const name = uniqueName('cli-version');
      const layers = { data: { target: 'local' }, storage: { target: 'local' } };
      assert.equal(
        (await strata.waitFor(await strata.create({ name, layers }))).status,
        'succeeded',
      );
      assert.equal((await strata.destroy(name)).status, 'succeeded');

      const lines = fs.readFileSync(calls, 'utf8').trim().split('\n');
      const operations = lines.filter((l) => /^(up|destroy)\b/.test(l));
      assert.equal(
        operations.length,
        4,
        `two layers up and destroyed through the wrapper:\n${lines.join('\n')}`,
      );
      assert.deepEqual(
        lines.filter((l) => l.startsWith('version')),
        ['version'],
        'only the worker ran `pulumi version`',
      );
    } finally {
      await strata.close();
      fs.rmSync(wrapper, { recursive: true, force: true });
    }
  });
});
