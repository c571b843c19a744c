/**
 * The worker reads the CLI's version once and hands it to its engine processes, which then run
 * no `pulumi version` of their own. Seen through a CliRecorder.
 */
import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { readCliVersion } from '../../../workers/engine/cli-version';
import { CliRecorder } from '../../helpers/cli-recorder';
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
    const cli = CliRecorder.create();
    const strata = await StrataProcesses.start({ env: cli.env });
    try {
      const name = uniqueName('cli-version');
      const layers = { data: { target: 'local' }, storage: { target: 'local' } };
      assert.equal(
        (await strata.waitFor(await strata.create({ name, layers }))).status,
        'succeeded',
      );
      assert.equal((await strata.destroy(name)).status, 'succeeded');

      const lines = cli.calls();
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
      cli.close();
    }
  });
});
