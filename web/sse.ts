/**
 * Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the
 * token never goes into a URL. Resumes with Last-Event-ID after a dropped connection.
 */
import { EventStreamParser, type StreamEvent } from '../core/event-stream';

export type { StreamEvent };

export interface FollowOptions {
  token: string;
  signal: AbortSignal;
  onEvent(event: StreamEvent): void;
  onState?(state: 'connected' | 'reconnecting' | 'ended' | 'error', detail?: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows `url` until `event: end` or until aborted; each event is delivered once, in order. */
export async function follow(url: string, options: FollowOptions): Promise<void> {
  const parser = new EventStreamParser();
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      const response = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${options.token}`,
          'last-event-id': String(parser.lastId),
        },
        signal: options.signal,
        cache: 'no-store',
      });
      if (response.status >= 400 && response.status < 500) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        options.onState?.('error', body.message ?? `${response.status}`);
        return;
      }
      if (!response.ok || !response.body) throw new Error(`${response.status}`);
      options.onState?.('connected');
      failures = 0;
      const reader = response.body.pipeThrough(new TextDecoderStream()).getReader();
      parser.reconnected();
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        for (const event of parser.push(value)) {
          options.onEvent(event);
          if (event.event === 'end') {
            options.onState?.('ended');
            await reader.cancel().catch(() => undefined);
            return;
          }
        }
      }
    } catch (error) {
      if (options.signal.aborted) return;
      void error;
    }
    failures += 1;
    options.onState?.('reconnecting');
    await sleep(Math.min(500 * 2 ** failures, 8000));
  }
}
