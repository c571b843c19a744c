/**
 * Notifications as a receiver meets them: real HTTP receivers on loopback get signed POSTs for
 * a real deployment, in order, with retries after a 500, and a receiver that hangs is timed out
 * without holding up the deployment.
 */
import assert from 'node:assert/strict';
import { createHmac, timingSafeEqual } from 'node:crypto';
import http, { type IncomingHttpHeaders } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, before, describe, it } from 'node:test';
import { createEnvironment, startHarness, uniqueName, type Harness } from '../helpers/harness';

const SECRET = 'receiver-secret-0123456789';

interface Received {
  headers: IncomingHttpHeaders;
  body: string;
}

interface Receiver {
  url: string;
  received: Received[];
  close(): Promise<void>;
}

/** A receiver that answers each request with what `answer` says, or never when it says so. */
async function receiver(answer: (body: string) => number | 'hang'): Promise<Receiver> {
  const received: Received[] = [];
  const server = http.createServer((request, response) => {
    const chunks: Buffer[] = [];
    request.on('data', (c: Buffer) => chunks.push(c));
    request.on('end', () => {
      const body = Buffer.concat(chunks).toString('utf8');
      const status = answer(body);
      if (status === 'hang') return;
      received.push({ headers: request.headers, body });
      response.writeHead(status).end();
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/hook`,
    received,
    close: () =>
      new Promise((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What a receiver does: HMAC-SHA256 of the raw body with the shared secret, compared safely. */
function verifies(request: Received, secret: string): boolean {
  const expected = `sha256=${createHmac('sha256', secret).update(request.body).digest('hex')}`;
  const given = String(request.headers['x-strata-signature-256'] ?? '');
  return (
    given.length === expected.length && timingSafeEqual(Buffer.from(given), Buffer.from(expected))
  );
}

async function until<T>(
  what: string,
  probe: () => T | undefined | Promise<T | undefined>,
): Promise<T> {
  for (let i = 0; i < 600; i++) {
    const value = await probe();
    if (value !== undefined) return value;
    await new Promise((r) => setTimeout(r, 100));
  }
  throw new Error(`still waiting for ${what}`);
}

describe('notifications', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({
      env: {
        STRATA_NOTIFY_TIMEOUT: '500ms',
        STRATA_NOTIFY_BACKOFF: '200ms',
        STRATA_NOTIFY_ATTEMPTS: '1000',
        STRATA_NOTIFY_BACKOFF_MAX: '1s',
      },
    });
  });
  after(async () => {
    for (const s of await h.app.strata.subscriptions.list())
      await h.app.strata.subscriptions.delete(s.id);
    await h.close();
  });

  const subscribe = async (json: Record<string, unknown>) => {
    const response = await h.api('/v1/notifications', {
      method: 'POST',
      json: { secret: SECRET, ...json },
    });
    return { status: response.status, text: await response.text() };
  };

  it('refuses URLs that are not http(s), and never shows the secret', async () => {
    const file = await subscribe({ url: 'file:///etc/passwd', events: ['deployment.failed'] });
    assert.equal(file.status, 400);
    const gopher = await subscribe({ url: 'gopher://example.com/', events: ['deployment.failed'] });
    assert.equal(gopher.status, 400);
    const ok = await subscribe({ url: 'https://example.com/hook', events: ['deployment.failed'] });
    assert.equal(ok.status, 201);
    assert.ok(!ok.text.includes(SECRET));
    const id = (JSON.parse(ok.text) as { id: string }).id;
    for (const path of ['/v1/notifications', `/v1/notifications/${id}`]) {
      assert.ok(!(await (await h.api(path)).text()).includes(SECRET), path);
    }
    assert.equal((await h.api(`/v1/notifications/${id}`, { method: 'DELETE' })).status, 200);
  });

  it('signed deliveries reach receivers in order, after retries, in slack form, and a hanging one is timed out', async () => {
    const name = uniqueName('notify');
    // `started` fails until the deployment has ended: its `succeeded` must wait for `started`.
    let deployed = false;
    const flaky = await receiver((body) =>
      !deployed && body.includes('"deployment.started"') ? 500 : 200,
    );
    const slack = await receiver(() => 200);
    const hanging = await receiver(() => 'hang');
    try {
      const events = ['deployment.started', 'deployment.succeeded'];
      assert.equal((await subscribe({ url: flaky.url, events, environment: name })).status, 201);
      assert.equal(
        (await subscribe({ url: slack.url, events, environment: name, format: 'slack' })).status,
        201,
      );
      const stuck = JSON.parse(
        (await subscribe({ url: hanging.url, events, environment: name })).text,
      ) as { id: string };

      const deployment = await createEnvironment(h, {
        name,
        layers: { storage: { target: 'local' } },
      });
      deployed = true;
      // The hanging receiver does not hold the deployment up.
      assert.equal(deployment.status, 'succeeded');

      await until('the succeeded event at the flaky receiver', () =>
        flaky.received.some((r) => r.body.includes('"deployment.succeeded"')) ? true : undefined,
      );
      const bodies = flaky.received.map((r) => JSON.parse(r.body) as Record<string, unknown>);
      const order = bodies.map((b) => b.event);
      // Retries of `started` until it got through, and only then `succeeded`.
      assert.ok(order.length >= 3, order.join());
      assert.deepEqual(order.slice(-1), ['deployment.succeeded']);
      assert.ok(
        order.slice(0, -1).every((e) => e === 'deployment.started'),
        order.join(),
      );
      for (const [i, request] of flaky.received.entries()) {
        assert.ok(verifies(request, SECRET), 'the signature verifies with the secret');
        assert.ok(!verifies(request, 'another-secret-0123456789'));
        assert.equal(request.headers['x-strata-delivery'], bodies[i]?.id);
        assert.match(String(request.headers['x-strata-timestamp']), /^[0-9]{10}$/);
        assert.ok(!request.body.includes(SECRET));
        assert.equal(bodies[i]?.environment, name);
        assert.equal((bodies[i]?.deployment as { id: string }).id, deployment.id);
      }

      await until('the slack receiver', () => (slack.received.length >= 2 ? true : undefined));
      for (const request of slack.received) {
        const body = JSON.parse(request.body) as Record<string, unknown>;
        assert.deepEqual(Object.keys(body), ['text']);
        assert.match(String(body.text), new RegExp(`\`up\` of \`${name}\` (started|succeeded)`));
        assert.ok(verifies(request, SECRET));
      }

      const list = await h.api('/v1/notifications');
      const flakyId = (
        (await list.json()) as { subscriptions: { id: string; url: string }[] }
      ).subscriptions.find((s) => s.url === flaky.url)?.id;
      type Deliveries = { deliveries: { event: string; statusCode?: number; attempt: number }[] };
      // A delivery is recorded once its receiver has answered, just after the receiver saw it.
      const attempts = await until('the succeeded delivery recorded', async () => {
        const page = (await (
          await h.api(`/v1/notifications/${flakyId}/deliveries?limit=50`)
        ).json()) as Deliveries;
        const newest = page.deliveries[0];
        return newest?.event === 'deployment.succeeded' && newest.statusCode !== undefined
          ? page
          : undefined;
      });
      // Oldest first; the list keeps the last 50 attempts, so the earliest may have gone.
      const seen = attempts.deliveries.map((d) => [d.event, d.statusCode, d.attempt]).reverse();
      const last = seen.length - 2;
      const startedAttempts = Number(seen[last]?.[2]);
      assert.deepEqual(seen.slice(last), [
        ['deployment.started', 200, startedAttempts],
        ['deployment.succeeded', 200, 1],
      ]);
      assert.ok(startedAttempts > 1);
      assert.deepEqual(
        seen.slice(0, last),
        seen.slice(0, last).map((_, i) => ['deployment.started', 500, startedAttempts - last + i]),
      );

      const timedOut = await until('a timed-out attempt', async () => {
        const r = (await (await h.api(`/v1/notifications/${stuck.id}/deliveries`)).json()) as {
          deliveries: { error?: string; statusCode?: number }[];
        };
        return r.deliveries.find((d) => d.error?.includes('no answer within 500 ms'));
      });
      assert.equal(timedOut.statusCode, undefined);
    } finally {
      await Promise.all([flaky.close(), slack.close(), hanging.close()]);
    }
  });
});
