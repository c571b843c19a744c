import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';
import { loadSettings } from '../../core/settings';

const mode = (file: string): number => fs.statSync(file).mode & 0o777;

describe('the data dir and generated secrets', () => {
  it('are made private however they were created', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-settings-'));
    try {
      // What `mkdir -p`, a checkout or an operator leaves behind under a 022 umask.
      const dataDir = path.join(parent, 'data');
      fs.mkdirSync(dataDir, { mode: 0o755 });
      fs.chmodSync(dataDir, 0o755);
      for (const name of ['api-token', 'pulumi-passphrase', 'bundle-key']) {
        fs.writeFileSync(path.join(dataDir, name), `existing-${name}-value`, { mode: 0o644 });
        fs.chmodSync(path.join(dataDir, name), 0o644);
      }
      const settings = loadSettings({ STRATA_DATA_DIR: dataDir });
      assert.equal(settings.apiToken, 'existing-api-token-value');
      assert.equal(mode(dataDir).toString(8), '700');
      for (const name of ['api-token', 'pulumi-passphrase', 'bundle-key'])
        assert.equal(mode(path.join(dataDir, name)).toString(8), '600', name);
    } finally {
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('generates new secrets owner-only in a new private dir', () => {
    const parent = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-settings-'));
    const previous = process.umask(0o022);
    try {
      const dataDir = path.join(parent, 'fresh', 'data');
      const settings = loadSettings({ STRATA_DATA_DIR: dataDir });
      assert.equal(settings.apiTokenGenerated, true);
      assert.equal(mode(dataDir).toString(8), '700');
      for (const name of ['api-token', 'pulumi-passphrase', 'bundle-key'])
        assert.equal(mode(path.join(dataDir, name)).toString(8), '600', name);
    } finally {
      process.umask(previous);
      fs.rmSync(parent, { recursive: true, force: true });
    }
  });

  it('refuses a warm engine count that is not a whole number, saying which variable', () => {
    const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-settings-'));
    try {
      assert.equal(loadSettings({ STRATA_DATA_DIR: dataDir }).engineWarm, 2);
      assert.equal(
        loadSettings({ STRATA_DATA_DIR: dataDir, STRATA_ENGINE_WARM: '0' }).engineWarm,
        0,
      );
      assert.throws(
        () => loadSettings({ STRATA_DATA_DIR: dataDir, STRATA_ENGINE_WARM: 'many' }),
        /STRATA_ENGINE_WARM must be a whole number/,
      );
    } finally {
      fs.rmSync(dataDir, { recursive: true, force: true });
    }
  });
});
