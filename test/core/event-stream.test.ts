/** The event-stream reading the command line and the dashboard share. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { EventStreamParser } from '../../core/event-stream';

test('events split across chunks arrive whole, in order, with their JSON data', () => {
  const parser = new EventStreamParser();
  assert.deepEqual(parser.push('id: 1\r\nevent: engine\r\ndata: {"lay'), []);
  assert.deepEqual(
    parser.push('er":"data"}\r\n\r\n: keep-alive\n\nid: 2\nevent: end\ndata: {}\n\n'),
    [
      { id: 1, event: 'engine', data: { layer: 'data' } },
      { id: 2, event: 'end', data: {} },
    ],
  );
  assert.equal(parser.lastId, 2);
});

test('after a reconnect, replayed events are dropped and a half-read one is forgotten', () => {
  const parser = new EventStreamParser();
  parser.push('id: 1\nevent: engine\ndata: 1\n\nid: 2\nevent: eng');
  parser.reconnected();
  const events = parser.push('id: 1\nevent: engine\ndata: 1\n\nid: 2\nevent: engine\ndata: 2\n\n');
  assert.deepEqual(events, [{ id: 2, event: 'engine', data: 2 }]);
});
