import type { ServerResponse } from 'node:http';
import type { LoggedEvent } from '../core/event-log';
import type { EventListener } from './event-hub';

/** Live events held for a client still reading its backlog; past this it is too far behind. */
const MAX_PENDING_EVENTS = 10_000;
/** Bytes written for a client that its socket has not taken yet; past this it is too slow. */
const MAX_UNSENT_BYTES = 1024 * 1024;

/** Frames by event: the hub hands one event object to every client of a deployment. */
const frames = new WeakMap<LoggedEvent, string>();

function frame(event: LoggedEvent): string {
  let text = frames.get(event);
  if (text === undefined) {
    text = `id: ${event.seq}\nevent: ${event.kind}\ndata: ${event.data}\n\n`;
    frames.set(event, text);
  }
  return text;
}

/**
 * One client's Server-Sent Events stream. It first sends its backlog (read by the route from
 * the client's Last-Event-ID on), holding the hub's live events meanwhile, then every live
 * event as it comes; a sequence it has already sent is skipped, so the switch leaves neither a
 * gap nor a duplicate. A client that falls too far behind is cut off rather than buffered
 * without bound, and resumes with Last-Event-ID.
 */
export class EventStream implements EventListener {
  private pending: LoggedEvent[] | undefined = [];
  private finished = false;
  private resolveDone!: () => void;
  /** Settles when the stream has ended, for whichever reason. */
  readonly done = new Promise<void>((resolve) => (this.resolveDone = resolve));

  constructor(
    private readonly raw: ServerResponse,
    /** Sequence of the last event the client has. */
    public seq: number,
  ) {}

  get ended(): boolean {
    return this.finished;
  }

  get live(): boolean {
    return this.pending === undefined;
  }

  events(batch: LoggedEvent[]): void {
    if (this.finished) return;
    if (this.pending) {
      this.pending.push(...batch);
      if (this.pending.length > MAX_PENDING_EVENTS) this.cutOff();
      return;
    }
    this.send(batch);
  }

  close(): void {
    this.finish();
  }

  /** Events read from the stream, in order, after `seq`. */
  backlog(events: LoggedEvent[]): void {
    this.send(events);
  }

  /** The backlog is sent: what arrived meanwhile follows, then every event as it comes. */
  goLive(): void {
    const held = this.pending ?? [];
    this.pending = undefined;
    this.backlog(held);
  }

  /** Ends the stream with `event: end` unless the recorded one was sent already. */
  end(status: string): void {
    if (this.finished) return;
    this.raw.write(`event: end\ndata: ${JSON.stringify({ status })}\n\n`);
    this.finish();
  }

  /** A comment line, so proxies keep an idle stream open. */
  heartbeat(): void {
    if (!this.finished) this.raw.write(': keepalive\n\n');
  }

  /** The events this client lacks, in one write: a thousand clients, a thousand writes. */
  private send(events: LoggedEvent[]): void {
    if (this.finished) return;
    let text = '';
    let ended = false;
    for (const event of events) {
      if (event.seq <= this.seq) continue;
      this.seq = event.seq;
      text += frame(event);
      if (event.kind === 'end') {
        ended = true;
        break;
      }
    }
    if (text === '') return;
    this.raw.write(text);
    if (ended) this.finish();
    else if (this.raw.writableLength > MAX_UNSENT_BYTES) this.cutOff();
  }

  private cutOff(): void {
    this.finish();
    // Dropped, not flushed: the client is not reading, and resumes from its last event id.
    this.raw.destroy();
  }

  private finish(): void {
    if (this.finished) return;
    this.finished = true;
    this.pending = undefined;
    this.resolveDone();
  }
}
