import assert from 'node:assert/strict';
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness';
import { adminUrl } from '../helpers/postgres';

/** A PostgreSQL state backend on the test server, which does not speak SSL. */
function stateUrl(query: string): string {
  const url = new URL(adminUrl());
  url.password = 'readiness-pw-41c9';
  return `${url.href}${query}`;
}

describe('/readyz checks the state backend', () => {
  let withoutSslmode: Harness;
  let withSslmode: Harness;
  // The real CLI behind a script that notes each start, first on the PATH the API runs it from.
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-readyz-'));
  const starts = path.join(scratch, 'starts');
  const originalPath = process.env.PATH;
  before(async () => {
    const real = execFileSync('sh', ['-c', 'command -v pulumi'], { encoding: 'utf8' }).trim();
    fs.writeFileSync(
      path.join(scratch, 'pulumi'),
      `#!/bin/sh\necho "$1" >> '${starts}'\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
    process.env.PATH = `${scratch}${path.delimiter}${originalPath}`;
    withoutSslmode = await startHarness({
      worker: false,
      env: { PULUMI_BACKEND_URL: stateUrl('') },
    });
    withSslmode = await startHarness({
      worker: false,
      env: { PULUMI_BACKEND_URL: stateUrl('?sslmode=disable') },
    });
  });
  after(async () => {
    process.env.PATH = originalPath;
    await withoutSslmode.close();
    await withSslmode.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('says to add ?sslmode=disable when the server has no SSL, without the password', async () => {
    const response = await withoutSslmode.api('/readyz');
    const body = (await response.json()) as { message: string };
    assert.equal(response.status, 503);
    assert.match(body.message, /add \?sslmode=disable to PULUMI_BACKEND_URL/);
    assert.ok(!body.message.includes('readiness-pw-41c9'), body.message);
  });

  it('is ready once the CLI can open the backend', async () => {
    const response = await withSslmode.api('/readyz');
    assert.equal(response.status, 200, await response.text());
  });

  it('does not start pulumi on every call', async () => {
    for (let i = 0; i < 10; i++) {
      assert.equal((await withSslmode.api('/readyz')).status, 200);
    }
    const started = fs.readFileSync(starts, 'utf8').trim().split('\n');
    // One `version` for the process, one `whoami` per backend checked in the tests above.
    assert.deepEqual(
      started.filter((command) => command === 'version'),
      ['version'],
    );
    assert.ok(started.filter((command) => command === 'whoami').length <= 2, started.join(' '));
  });
});
