import { EventStreamParser, type StreamEvent } from '../core/event-stream';
/** The CLI's HTTP side: the API with a bearer token, and its event streams with resume. */

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export interface Client {
  url: string;
  request<T>(method: string, path: string, json?: unknown): Promise<T>;
  raw(path: string, headers?: Record<string, string>): Promise<Response>;
}

export function client(url: string, token: string): Client {
  const base = url.replace(/\/+$/, '');
  const headers = (extra: Record<string, string> = {}): Record<string, string> => ({
    authorization: `Bearer ${token}`,
    ...extra,
  });
  return {
    url: base,
    async request<T>(method: string, path: string, json?: unknown): Promise<T> {
      let response: Response;
      try {
        response = await fetch(`${base}${path}`, {
          method,
          headers: headers(json === undefined ? {} : { 'content-type': 'application/json' }),
          body: json === undefined ? undefined : JSON.stringify(json),
        });
      } catch (error) {
        throw new ApiError(0, `cannot reach Strata at ${base}: ${(error as Error).message}`);
      }
      const text = await response.text();
      let body: unknown = text;
      try {
        body = text ? JSON.parse(text) : undefined;
      } catch {
        // not JSON: keep the text
      }
      if (!response.ok) {
        const message =
          typeof body === 'object' && body !== null && 'message' in body
            ? String((body as { message: unknown }).message)
            : `${response.status} ${response.statusText}`;
        throw new ApiError(response.status, message);
      }
      return body as T;
    },
    async raw(path: string, extra: Record<string, string> = {}): Promise<Response> {
      try {
        return await fetch(`${base}${path}`, { headers: headers(extra) });
      } catch (error) {
        throw new ApiError(0, `cannot reach Strata at ${base}: ${(error as Error).message}`);
      }
    },
  };
}

export type { StreamEvent };

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Follows a deployment's events until `event: end`, reconnecting with Last-Event-ID when the
 * connection drops, so each event is handled once and in order.
 */
export async function followEvents(
  api: Client,
  id: string,
  onEvent: (event: StreamEvent) => void,
  onReconnect?: () => void,
): Promise<void> {
  const parser = new EventStreamParser();
  let failures = 0;
  for (;;) {
    try {
      const response = await api.raw(`/v1/deployments/${encodeURIComponent(id)}/events`, {
        accept: 'text/event-stream',
        'last-event-id': String(parser.lastId),
      });
      if (response.status >= 400 && response.status < 500) {
        const body = (await response.json().catch(() => ({}))) as { message?: string };
        throw new ApiError(response.status, body.message ?? `${response.status}`);
      }
      if (!response.ok || !response.body) throw new Error(`HTTP ${response.status}`);
      failures = 0;
      const decoder = new TextDecoder();
      parser.reconnected();
      for await (const chunk of response.body) {
        for (const event of parser.push(decoder.decode(chunk as Uint8Array, { stream: true }))) {
          onEvent(event);
          if (event.event === 'end') return;
        }
      }
    } catch (error) {
      if (error instanceof ApiError) throw error;
    }
    failures += 1;
    if (failures > 30) throw new ApiError(0, `lost the event stream of deployment ${id}`);
    onReconnect?.();
    await sleep(Math.min(250 * 2 ** failures, 5000));
  }
}

/** Every item of a paginated list route, following `nextCursor` page after page. */
export async function listAll<K extends string, T>(
  api: Client,
  path: string,
  field: K,
): Promise<T[]> {
  const items: T[] = [];
  let cursor: string | null = null;
  do {
    const separator = path.includes('?') ? '&' : '?';
    const query = `${separator}limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`;
    const page: Record<K, T[]> & { nextCursor?: string | null } = await api.request(
      'GET',
      `${path}${query}`,
    );
    items.push(...page[field]);
    cursor = page.nextCursor ?? null;
  } while (cursor);
  return items;
}
