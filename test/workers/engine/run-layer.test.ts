/**
 * What an engine process is given, and what comes back from it: the environment of a real
 * engine process read from /proc while it runs, and an engine error carrying a secret.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, before, describe, it } from 'node:test';
import type { TargetName } from '../../../core/domain';
import { descendants } from '../../../workers/engine/process-tree';
import { runLayer } from '../../../workers/engine/run-layer';
import { uniqueName } from '../../helpers/harness';
import { StrataProcesses, pause } from '../../helpers/servers';

const FORBIDDEN = {
  STRATA_BUNDLE_KEY: 'bundle-key-that-engines-never-see-0123456789',
  GITHUB_WEBHOOK_SECRET: 'webhook-secret-that-engines-never-see',
  STRATA_API_TOKEN: 'fault-test-admin-token-0123456789',
};

describe('an engine process', () => {
  let strata: StrataProcesses;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-engine-env-'));
  const tokensFile = path.join(scratch, 'tokens.json');

  before(async () => {
    fs.writeFileSync(
      tokensFile,
      JSON.stringify([{ name: 'ci', token: 'ci-token-that-engines-never-see', scopes: ['read'] }]),
    );
    strata = await StrataProcesses.start({
      env: {
        STRATA_BUNDLE_KEY: FORBIDDEN.STRATA_BUNDLE_KEY,
        GITHUB_WEBHOOK_SECRET: FORBIDDEN.GITHUB_WEBHOOK_SECRET,
        STRATA_TOKENS_FILE: tokensFile,
      },
    });
  });
  after(async () => {
    await strata.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('gets only the environment it needs', async () => {
    const name = uniqueName('engine-env');
    const id = await strata.create({ name, layers: { data: { target: 'local' } } });
    // Every process under the worker while the deployment runs: the engine process, the CLI,
    // the language host and the dynamic provider.
    const environs = new Map<number, string>();
    let done = false;
    const finished = strata.waitFor(id).finally(() => (done = true));
    while (!done) {
      for (const pid of descendants(strata.worker?.pid ?? 0)) {
        if (environs.has(pid)) continue;
        try {
          const cmdline = fs.readFileSync(`/proc/${pid}/cmdline`, 'utf8');
          if (cmdline.includes('layer-process'))
            environs.set(pid, fs.readFileSync(`/proc/${pid}/environ`, 'utf8'));
        } catch {
          // Ended meanwhile.
        }
      }
      await pause(20);
    }
    assert.equal((await finished).status, 'succeeded');
    assert.ok(environs.size > 0, 'an engine process was seen');
    for (const environ of environs.values()) {
      const names = environ.split('\0').map((v) => v.slice(0, v.indexOf('=')));
      for (const forbidden of [...Object.keys(FORBIDDEN), 'STRATA_TOKENS_FILE', 'REDIS_URL'])
        assert.ok(!names.includes(forbidden), `the engine was given ${forbidden}`);
      for (const value of [...Object.values(FORBIDDEN), 'ci-token-that-engines-never-see'])
        assert.ok(!environ.includes(value), 'a secret reached the engine');
      for (const needed of ['PATH', 'HOME', 'PULUMI_CONFIG_PASSPHRASE', 'STRATA_DATA_DIR'])
        assert.ok(names.includes(needed), `the engine lacks ${needed}`);
    }
    assert.equal((await strata.destroy(name)).status, 'succeeded');
  });

  it('reports errors with the secrets it was handed scrubbed', async () => {
    const secret = 'a-secret-output-of-another-layer-42';
    const dataDir = path.join(scratch, 'data');
    fs.mkdirSync(path.join(dataDir, 'state'), { recursive: true });
    // An engine error that quotes a value it was handed as a secret: an unknown target named
    // like the network layer's secret output.
    const failure = runLayer(
      {
        deploymentId: 'scrub',
        environment: 'scrub-test',
        stage: 'dev',
        layer: 'data',
        target: secret as TargetName,
        operation: 'preview',
        config: {},
        inputs: { network: { token: { value: secret, secret: true } } },
        dataDir,
        localPostgresUrl: 'postgres://postgres@127.0.0.1:5432/postgres',
        backendUrl: pathToFileURL(path.join(dataDir, 'state')).href,
        bucketsDir: path.join(dataDir, 'buckets'),
      },
      {
        onEvent: () => undefined,
        env: { PULUMI_CONFIG_PASSPHRASE: 'engine-test-passphrase-0123456789' },
        timeoutMs: 60_000,
        lease: { validForMs: () => 60_000, onRenew: () => () => undefined },
      },
    );
    await assert.rejects(failure, (error: Error) => {
      assert.match(error.message, /no data layer for target \[secret\]/);
      assert.ok(!error.message.includes(secret), error.message);
      return true;
    });
  });
});
