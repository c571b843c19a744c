import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness';

/** dist/, where the compiled entry points are. */
const dist = path.resolve(__dirname, '..', '..');

/** Runs a command to its end (killed after 30 s), with its exit status and output. */
function run(
  command: string,
  args: string[],
  env: NodeJS.ProcessEnv,
): Promise<{ status: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { env, stdio: ['ignore', 'pipe', 'pipe'], timeout: 30_000 });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (d: Buffer) => (stdout += d.toString()));
    child.stderr.on('data', (d: Buffer) => (stderr += d.toString()));
    child.on('error', reject);
    child.on('close', (status) => resolve({ status, stdout, stderr }));
  });
}

describe('one installation per Redis namespace', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  for (const entry of ['server/server.js', 'workers/index.js']) {
    it(`refuses to start ${entry} with another installation's queue and a different key`, async () => {
      const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-intruder-'));
      try {
        // Not spawnSync: it would freeze this process, API included, and the API's back-pressure
        // would rightly answer the next request with 503.
        const result = await run(process.execPath, [path.join(dist, entry)], {
          ...process.env,
          STRATA_DATA_DIR: dataDir,
          STRATA_QUEUE: h.queueName,
          PORT: '0',
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
