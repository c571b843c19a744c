import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { readEvents, startHarness, queuedDeployment, type Harness } from '../helpers/harness';
import { until } from '../helpers/servers';

describe('deployment event stream', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('replays after Last-Event-ID, then follows live until end, for every watcher', async () => {
    const id = await queuedDeployment(h, 'sse');
    const { events } = h.app.strata;
    for (let i = 1; i <= 5; i++) await events.append(id, 'engine', { layer: 'data', sequence: i });

    const replay = h.api(`/v1/deployments/${id}/events`, { headers: { 'last-event-id': '3' } });
    const fromStart = h.api(`/v1/deployments/${id}/events`);
    const [replayResponse, startResponse] = await Promise.all([replay, fromStart]);
    assert.equal(replayResponse.status, 200);
    assert.match(replayResponse.headers.get('content-type') ?? '', /^text\/event-stream/);
    const replayed = readEvents(replayResponse);
    const all = readEvents(startResponse);

    // These arrive while both clients are already following the live stream.
    await until('both clients listening', () => h.app.eventHub.stats().listeners === 2);
    await events.append(id, 'layer', { layer: 'data', status: 'succeeded' });
    await events.append(id, 'end', { status: 'succeeded' });

    const got = await replayed;
    assert.deepEqual(
      got.map((e) => e.id),
      [4, 5, 6, 7],
    );
    assert.deepEqual(
      got.map((e) => e.event),
      ['engine', 'engine', 'layer', 'end'],
    );
    assert.deepEqual(got[0]?.data, { layer: 'data', sequence: 4 });
    const everything = await all;
    assert.deepEqual(
      everything.map((e) => e.id),
      [1, 2, 3, 4, 5, 6, 7],
    );

    // A stream that has ended replays in full and closes at once.
    const again = await readEvents(await h.api(`/v1/deployments/${id}/events?lastEventId=6`));
    assert.deepEqual(
      again.map((e) => [e.id, e.event]),
      [[7, 'end']],
    );
  });

  it('keeps one order when several processes append at once', async () => {
    const id = await queuedDeployment(h, 'sse');
    const { events } = h.app.strata;
    const seqs = await Promise.all(
      Array.from({ length: 50 }, (_, i) => events.append(id, 'engine', { i })),
    );
    assert.deepEqual(
      [...seqs].sort((a, b) => a - b),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
    const read = await events.read(id, 0, 0);
    assert.deepEqual(
      read.map((e) => e.seq),
      Array.from({ length: 50 }, (_, i) => i + 1),
    );
  });

  it('refuses a Last-Event-ID that is not a sequence number', async () => {
    const id = await queuedDeployment(h, 'sse');
    const response = await h.api(`/v1/deployments/${id}/events`, {
      headers: { 'last-event-id': 'abc' },
    });
    assert.equal(response.status, 400);
    assert.match(
      ((await response.json()) as { message: string }).message,
      /Last-Event-ID must be a whole number/,
    );
  });
});
