import assert from 'node:assert/strict';
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
  before(async () => {
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
    await withoutSslmode.close();
    await withSslmode.close();
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
});
