import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness';

/** dist/, where the compiled entry points are. */
const dist = path.resolve(__dirname, '..', '..');

describe('one installation per Redis namespace', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  for (const entry of ['server/server.js', 'workers/index.js']) {
    it(`refuses to start ${entry} with another installation's queue and a different key`, () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-intruder-'));
      try {
        const result = spawnSync(process.execPath, [path.join(dist, entry)], {
          env: {
            ...process.env,
            STRATA_DATA_DIR: dataDir,
            STRATA_QUEUE: h.queueName,
            PORT: '0',
          },
          encoding: 'utf8',
          timeout: 30_000,
        });
        assert.equal(result.status, 1, result.stdout + result.stderr);
        assert.match(result.stderr, /STRATA_BUNDLE_KEY/);
        assert.match(result.stderr, /STRATA_QUEUE/);
        assert.match(result.stderr, new RegExp(h.queueName));
        // The key itself is never printed.
        assert.doesNotMatch(result.stderr + result.stdout, new RegExp(h.settings.bundleKey));
      } finally {
        fs.rmSync(dataDir, { recursive: true, force: true });
      }
    });
  }

  it('lets a process with the same key join', async () => {
    const response = await h.api('/v1/environments');
    assert.equal(response.status, 200);
  });
});
