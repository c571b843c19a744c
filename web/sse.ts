/**
 * Server-Sent Events over fetch: EventSource cannot send an Authorization header, and the
 * token never goes into a URL. Resumes with Last-Event-ID after a dropped connection.
 */

export interface StreamEvent {
  id: number;
  event: string;
  data: unknown;
}

export interface FollowOptions {
  token: string;
  signal: AbortSignal;
  onEvent(event: StreamEvent): void;
  onState?(state: 'connected' | 'reconnecting' | 'ended' | 'error', detail?: string): void;
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/** Follows `url` until `event: end` or until aborted; each event is delivered once, in order. */
export async function follow(url: string, options: FollowOptions): Promise<void> {
  let lastId = 0;
  let failures = 0;
  while (!options.signal.aborted) {
    try {
      const response = await fetch(url, {
        headers: {
          accept: 'text/event-stream',
          authorization: `Bearer ${options.token}`,
          'last-event-id': String(lastId),
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
      let buffer = '';
      for (;;) {
        const { value, done } = await reader.read();
        if (done) break;
        buffer += value.replace(/\r\n?/g, '\n');
        let boundary: number;
        while ((boundary = buffer.indexOf('\n\n')) >= 0) {
          const block = buffer.slice(0, boundary);
          buffer = buffer.slice(boundary + 2);
          const fields: Record<string, string> = {};
          for (const line of block.split('\n')) {
            if (line === '' || line.startsWith(':')) continue;
            const at = line.indexOf(':');
            const key = at < 0 ? line : line.slice(0, at);
            const val = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
            fields[key] =
              key === 'data' && fields.data !== undefined ? `${fields.data}\n${val}` : val;
          }
          if (!fields.event) continue;
          const id = fields.id === undefined ? lastId : Number(fields.id);
          if (fields.id !== undefined && id <= lastId) continue;
          lastId = id;
          let data: unknown = null;
          try {
            data = JSON.parse(fields.data ?? 'null');
          } catch {
            data = fields.data;
          }
          options.onEvent({ id, event: fields.event, data });
          if (fields.event === 'end') {
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
