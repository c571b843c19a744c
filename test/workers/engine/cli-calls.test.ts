/**
 * What an operation asks of the CLI beyond the operation itself costs a process start and, with
 * a passphrase, a key derivation: half a second or more of CPU each. Seen through a CliRecorder.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { CliRecorder } from '../../helpers/cli-recorder';
import { uniqueName } from '../../helpers/harness';
import { StrataProcesses } from '../../helpers/servers';

describe('the CLI commands of an operation', () => {
  it('are only its own for a preview and a drift check, which leave the outputs as they were', async () => {
    const cli = CliRecorder.create();
    const strata = await StrataProcesses.start({ env: cli.env });
    try {
      const name = uniqueName('cli-calls');
      const layers = { storage: { target: 'local' } };
      assert.equal(
        (await strata.waitFor(await strata.create({ name, layers }))).status,
        'succeeded',
      );
      const bundle = async (): Promise<string> =>
        (await strata.api(`/v1/environments/${name}/env`)).text();
      const before = await bundle();
      assert.match(before, /^STORAGE_BUCKET=/m);

      const since = cli.calls().length;
      for (const operation of ['preview', 'drift']) {
        const ended = await strata.waitFor(await strata.deploy(name, { operation }));
        assert.equal(ended.status, 'succeeded', `${operation}: ${ended.error ?? ''}`);
      }
      const calls = cli.calls().slice(since);
      assert.deepEqual(
        calls.map((line) => line.split(' ')[0]),
        ['preview', 'refresh'],
        `one command each, no reading back of outputs:\n${calls.join('\n')}`,
      );
      assert.equal(await bundle(), before, 'the .env download is what the create left');
    } finally {
      await strata.close();
      cli.close();
    }
  });
});
