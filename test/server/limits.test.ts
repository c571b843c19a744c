import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness';
import { until } from '../helpers/servers';

const LIMIT = 5;

describe('rate limits', () => {
  let h: Harness;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-limits-'));
  const tokensFile = path.join(scratch, 'tokens.json');

  before(async () => {
    fs.writeFileSync(
      tokensFile,
      JSON.stringify([
        { name: 'busy', token: 'busy-token-0123456789', scopes: ['read'] },
        { name: 'calm', token: 'calm-token-0123456789', scopes: ['read'] },
      ]),
    );
    h = await startHarness({
      worker: false,
      env: {
        STRATA_TOKENS_FILE: tokensFile,
        STRATA_RATE_LIMIT_INTAKE: String(LIMIT),
        STRATA_RATE_LIMIT_PER_TOKEN: String(LIMIT),
        GITHUB_WEBHOOK_SECRET: 'limits-webhook-secret',
      },
    });
  });
  after(async () => {
    await h.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('answers 429 past the intake limit of one address, saying which setting raises it', async () => {
    const hook = () => fetch(`${h.url}/v1/hooks/not-a-real-token`, { method: 'POST' });
    const webhook = () =>
      fetch(`${h.url}/v1/webhooks/github`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', 'x-hub-signature-256': 'sha256=00' },
        body: '{}',
      });
    const statuses: number[] = [];
    for (let i = 0; i < LIMIT; i++) statuses.push((await hook()).status);
    assert.deepEqual(statuses, Array(LIMIT).fill(404));
    // The limit is per address, over both intake routes.
    const refused = await webhook();
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'retry-after');
    assert.equal(refused.headers.get('x-ratelimit-limit'), String(LIMIT));
    assert.equal(refused.headers.get('x-ratelimit-remaining'), '0');
    const body = (await refused.json()) as { statusCode: number; message: string };
    assert.equal(body.statusCode, 429);
    assert.match(body.message, /5 requests a minute/);
    assert.match(body.message, /STRATA_RATE_LIMIT_INTAKE/);
    // Probes are never limited.
    assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
  });

  it('limits each token on its own, and never writes the token in the answer', async () => {
    const as = (token: string) =>
      h.api('/v1/environments', { headers: { authorization: `Bearer ${token}` } });
    for (let i = 0; i < LIMIT; i++) assert.equal((await as('busy-token-0123456789')).status, 200);
    const refused = await as('busy-token-0123456789');
    assert.equal(refused.status, 429);
    assert.ok(Number(refused.headers.get('retry-after')) > 0, 'retry-after');
    const text = await refused.text();
    assert.match(text, /token \\"busy\\" may make 5 requests a minute/);
    assert.match(text, /STRATA_RATE_LIMIT_PER_TOKEN/);
    assert.ok(!text.includes('busy-token-0123456789'));
    // Another token is not held up by the first one's burst.
    assert.equal((await as('calm-token-0123456789')).status, 200);
  });
});

describe('back-pressure', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      worker: false,
      // The blocker trips utilization. A delay limit of a few ms would trip too, but also on a
      // machine busy with other tests' engines, long after the blocker has stopped.
      env: { STRATA_MAX_EVENT_LOOP_DELAY_MS: '1000', STRATA_MAX_EVENT_LOOP_UTILIZATION: '0.5' },
    });
  });
  after(async () => {
    await h.close();
  });

  it('answers 503 with retry-after while the event loop is blocked, /healthz still 200', async () => {
    // Busy-waits 80 ms of every 100: the loop is late and nearly always busy.
    const blocker = setInterval(() => {
      const end = performance.now() + 80;
      while (performance.now() < end);
    }, 100);
    try {
      let overloaded: Response | undefined;
      await until('a 503', async () => {
        const response = await h.api('/v1/environments');
        if (response.status !== 503) return false;
        overloaded = response;
        return true;
      });
      assert.equal(overloaded?.headers.get('retry-after'), '10');
      const body = (await overloaded?.json()) as { message: string };
      assert.match(body.message, /overloaded/);
      assert.match(body.message, /STRATA_MAX_EVENT_LOOP_DELAY_MS/);
      assert.equal((await fetch(`${h.url}/healthz`)).status, 200);
      assert.equal((await fetch(`${h.url}/readyz`)).status, 503);
    } finally {
      clearInterval(blocker);
    }
    // Once the loop is free again, requests are served.
    await until(
      'a 200 after the blocker',
      async () => (await h.api('/v1/environments')).status === 200,
      60_000,
    );
  });
});
