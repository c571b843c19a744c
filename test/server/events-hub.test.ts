import assert from 'node:assert/strict';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { eventReaderName } from '../../server/plugins/event-hub';
import {
  readEvents,
  startHarness,
  queuedDeployment,
  type Harness,
  type SseEvent,
} from '../helpers/harness';
import { until } from '../helpers/servers';

/** Redis connections named as the event reader of this harness's process. */
async function readerConnections(h: Harness): Promise<number> {
  const list = (await h.app.strata.redis.client('LIST')) as string;
  const name = eventReaderName(h.app.strata.keys.namespace);
  return list.split('\n').filter((line) => line.includes(` name=${name} `)).length;
}

/** Reads events until `count` have come, then hangs up. */
async function readSome(response: Response, count: number, abort: AbortController) {
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  reading: for await (const chunk of response.body ?? []) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const event = /^event: (.+)$/m.exec(block)?.[1];
      if (!event) continue;
      events.push({
        id: Number(/^id: (\d+)$/m.exec(block)?.[1]),
        event,
        data: JSON.parse(/^data: (.*)$/m.exec(block)?.[1] ?? 'null') as unknown,
      });
      if (events.length === count) break reading;
    }
  }
  abort.abort();
  return events;
}

describe('one event reader per process', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('fans one deployment out to 50 clients over one Redis connection', async () => {
    const id = await queuedDeployment(h, 'hub');
    const { events } = h.app.strata;
    for (let i = 1; i <= 10; i++) await events.append(id, 'engine', { i });
    assert.equal(await readerConnections(h), 0);
    const clients = 50;
    const abort = new AbortController();
    try {
      const responses = await Promise.all(
        Array.from({ length: clients }, () =>
          h.api(`/v1/deployments/${id}/events`, { signal: abort.signal }),
        ),
      );
      for (const response of responses) assert.equal(response.status, 200);
      const received = responses.map((response) => readEvents(response));
      await until('50 listeners', () => h.app.eventHub.stats().listeners === clients);
      // The reader's connection is opened by the first client and named once Redis has
      // answered its handshake, which may come after the last client has joined.
      await until('one reader connection', async () => (await readerConnections(h)) === 1);
      for (let i = 11; i <= 40; i++) await events.append(id, 'engine', { i });
      assert.equal(await readerConnections(h), 1);
      await events.append(id, 'end', { status: 'succeeded' });
      const expected = [
        ...Array.from({ length: 40 }, (_, i) => ({
          id: i + 1,
          event: 'engine',
          data: { i: i + 1 },
        })),
        { id: 41, event: 'end', data: { status: 'succeeded' } },
      ];
      for (const got of await Promise.all(received)) assert.deepEqual(got, expected);
      // Every client has gone: nothing is watched any more.
      await until('no listener', () => h.app.eventHub.stats().listeners === 0);
    } finally {
      // A failed assertion must not leave 50 listeners behind for the next test.
      abort.abort();
    }
  });

  it('resumes exactly where a client hung up', async () => {
    const id = await queuedDeployment(h, 'hub');
    const { events } = h.app.strata;
    for (let i = 1; i <= 5; i++) await events.append(id, 'engine', { i });
    const abort = new AbortController();
    const first = await h.api(`/v1/deployments/${id}/events`, { signal: abort.signal });
    const reading = readSome(first, 8, abort);
    await until('one listener', () => h.app.eventHub.stats().listeners === 1);
    for (let i = 6; i <= 8; i++) await events.append(id, 'engine', { i });
    const before = await reading;
    assert.deepEqual(
      before.map((e) => e.id),
      [1, 2, 3, 4, 5, 6, 7, 8],
    );
    // Appended while the client is away, and after it is back.
    for (let i = 9; i <= 12; i++) await events.append(id, 'engine', { i });
    const resumed = await h.api(`/v1/deployments/${id}/events`, {
      headers: { 'last-event-id': '8' },
    });
    const rest = readEvents(resumed);
    for (let i = 13; i <= 15; i++) await events.append(id, 'engine', { i });
    await events.append(id, 'end', { status: 'succeeded' });
    assert.deepEqual(
      (await rest).map((e) => e.id),
      [9, 10, 11, 12, 13, 14, 15, 16],
    );
  });
});

describe('event stream caps', () => {
  let h: Harness;
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-sse-caps-'));
  const tokensFile = path.join(scratch, 'tokens.json');
  before(async () => {
    fs.writeFileSync(
      tokensFile,
      JSON.stringify([
        { name: 'one', token: 'one-token-0123456789', scopes: ['read'] },
        { name: 'two', token: 'two-token-0123456789', scopes: ['read'] },
      ]),
    );
    h = await startHarness({
      worker: false,
      env: {
        STRATA_TOKENS_FILE: tokensFile,
        STRATA_SSE_MAX_STREAMS: '3',
        STRATA_SSE_MAX_STREAMS_PER_TOKEN: '2',
      },
    });
  });
  after(async () => {
    await h.close();
    fs.rmSync(scratch, { recursive: true, force: true });
  });

  it('answers 429 past the streams of one token, then past those of the process', async () => {
    const id = await queuedDeployment(h, 'hub');
    const aborts: AbortController[] = [];
    const open = (token: string) => {
      const abort = new AbortController();
      aborts.push(abort);
      return h.api(`/v1/deployments/${id}/events`, {
        headers: { authorization: `Bearer ${token}` },
        signal: abort.signal,
      });
    };
    try {
      assert.equal((await open('one-token-0123456789')).status, 200);
      assert.equal((await open('one-token-0123456789')).status, 200);
      const perToken = await open('one-token-0123456789');
      assert.equal(perToken.status, 429);
      assert.match(perToken.headers.get('content-type') ?? '', /application\/json/);
      assert.match(
        ((await perToken.json()) as { message: string }).message,
        /token "one" already holds 2 event streams.*STRATA_SSE_MAX_STREAMS_PER_TOKEN/,
      );
      assert.equal((await open('two-token-0123456789')).status, 200);
      const perProcess = await open('two-token-0123456789');
      assert.equal(perProcess.status, 429);
      assert.match(
        ((await perProcess.json()) as { message: string }).message,
        /already serves 3 event streams.*STRATA_SSE_MAX_STREAMS raises/,
      );
      // A client that hangs up gives its stream back.
      aborts[0]?.abort();
      await until('two streams admitted', () => h.app.eventHub.stats().admitted === 2);
      assert.equal((await open('two-token-0123456789')).status, 200);
    } finally {
      for (const abort of aborts) abort.abort();
    }
  });
});
