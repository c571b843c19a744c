/**
 * Reading a deployment's event stream (Server-Sent Events), shared by the command line and the
 * dashboard. Runs in Node and in the browser alike: no Node module may be imported here.
 */

export interface StreamEvent {
  id: number;
  event: string;
  data: unknown;
}

/**
 * Turns the text of one or more connections to an event stream into events, each delivered
 * once and in order: after a reconnect with Last-Event-ID the server may replay events at or
 * below `lastId`, and those are dropped.
 */
export class EventStreamParser {
  /** The id of the last event delivered: the Last-Event-ID of the next connection. */
  lastId = 0;
  private buffer = '';

  /** A new connection begins: what was left unfinished of the last one is dropped. */
  reconnected(): void {
    this.buffer = '';
  }

  /** The events `text` completes, in order. */
  push(text: string): StreamEvent[] {
    this.buffer += text.replace(/\r\n?/g, '\n');
    const events: StreamEvent[] = [];
    let boundary: number;
    while ((boundary = this.buffer.indexOf('\n\n')) >= 0) {
      const block = this.buffer.slice(0, boundary);
      this.buffer = this.buffer.slice(boundary + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line === '' || line.startsWith(':')) continue;
        const at = line.indexOf(':');
        const key = at < 0 ? line : line.slice(0, at);
        const value = at < 0 ? '' : line.slice(at + 1).replace(/^ /, '');
        fields[key] =
          key === 'data' && fields.data !== undefined ? `${fields.data}\n${value}` : value;
      }
      if (!fields.event) continue;
      const id = fields.id === undefined ? this.lastId : Number(fields.id);
      if (fields.id !== undefined && id <= this.lastId) continue;
      this.lastId = id;
      let data: unknown = null;
      try {
        data = JSON.parse(fields.data ?? 'null');
      } catch {
        data = fields.data;
      }
      events.push({ id, event: fields.event, data });
    }
    return events;
  }
}

/** How an engine step's operation is shown, as `pulumi up` shows it. */
export const OP_SYMBOL: Record<string, string> = {
  create: '+',
  update: '~',
  delete: '-',
  replace: '+-',
  'create-replacement': '++',
  'delete-replaced': '--',
  read: '>',
  refresh: '~',
};

/** What a finished engine step did. */
export const OP_DONE: Record<string, string> = {
  create: 'created',
  update: 'updated',
  delete: 'deleted',
  replace: 'replaced',
  'create-replacement': 'created replacement',
  'delete-replaced': 'deleted original',
  read: 'read',
  refresh: 'refreshed',
};
