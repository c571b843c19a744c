import type { Redis } from 'ioredis';
import { parseEntries, type EventLog, type LoggedEvent } from '../core/event-log';
import type { RedisKeys } from '../core/redis-keys';
import { TooManyRequestsError } from './errors';

/** How long one XREAD waits; the set of streams changing interrupts it sooner. */
const BLOCK_MS = 5_000;
/** Entries one XREAD returns per stream. */
const READ_COUNT = 500;
/** Pause before reading again after Redis failed, so an outage is not a busy loop. */
const RETRY_MS = 500;

export interface EventListener {
  /** Events appended to the deployment's stream, in order: all that one read brought. */
  events(batch: LoggedEvent[]): void;
  /** The hub is closing (the process shuts down): end the client's stream. */
  close(): void;
}

interface Watched {
  /** Sequence of the newest event handed to the listeners. */
  cursor: number;
  listeners: Set<EventListener>;
}

interface WarnLogger {
  warn(details: object, message: string): void;
}

export interface EventHubOptions {
  redis: Redis;
  keys: RedisKeys;
  events: EventLog;
  logger: WarnLogger;
  /** CLIENT SETNAME of the reader's connection, so it can be told apart in CLIENT LIST. */
  connectionName: string;
  maxStreams: number;
  maxStreamsPerToken: number;
}

export interface EventHubStats {
  /** Deployments whose streams the reader follows. */
  streams: number;
  /** Listeners across them. */
  listeners: number;
  /** Open client streams admitted. */
  admitted: number;
  /** XREAD calls made, and events handed to listeners, since the hub started. */
  reads: number;
  delivered: number;
}

/**
 * One reader per process for the event streams of every watched deployment: one blocking
 * XREAD over a connection of its own, re-issued whenever the set of streams changes (the main
 * connection interrupts it with CLIENT UNBLOCK), and each entry fanned out to the listeners of
 * its deployment. Listeners get only what arrives after they joined; each client reads its own
 * backlog (EventLog.range) first.
 */
export class EventHub {
  private readonly watched = new Map<string, Watched>();
  private readonly perToken = new Map<string, number>();
  private admitted = 0;
  private reads = 0;
  private delivered = 0;
  private reader?: Redis;
  private readerId?: number;
  private loop?: Promise<void>;
  private closed = false;
  private blocking = false;
  private changed = false;
  private unblocking = false;
  private wake?: () => void;

  constructor(private readonly options: EventHubOptions) {}

  /**
   * Reserves one stream for `token` or refuses with 429 naming the setting; the returned
   * function gives it back. Synchronous, so concurrent requests cannot both take the last one.
   */
  admit(token: string): () => void {
    const { maxStreams, maxStreamsPerToken } = this.options;
    if (this.admitted >= maxStreams) {
      throw new TooManyRequestsError(
        `this API process already serves ${maxStreams} event streams (STRATA_SSE_MAX_STREAMS raises the limit); try again later`,
      );
    }
    const held = this.perToken.get(token) ?? 0;
    if (held >= maxStreamsPerToken) {
      throw new TooManyRequestsError(
        `token "${token}" already holds ${maxStreamsPerToken} event streams on this API process (STRATA_SSE_MAX_STREAMS_PER_TOKEN raises the limit); close one first`,
      );
    }
    this.admitted++;
    this.perToken.set(token, held + 1);
    let released = false;
    return () => {
      if (released) return;
      released = true;
      this.admitted--;
      const left = (this.perToken.get(token) ?? 1) - 1;
      if (left > 0) this.perToken.set(token, left);
      else this.perToken.delete(token);
    };
  }

  /**
   * Hands `listener` every event of `deploymentId` appended after this call returns (and
   * possibly a few before: listeners skip sequences they have). Returns the unsubscribe.
   */
  async watch(deploymentId: string, listener: EventListener): Promise<() => void> {
    let entry = this.watched.get(deploymentId);
    if (!entry) {
      const cursor = await this.options.events.lastSeq(deploymentId);
      // Another client may have started watching while the cursor was read.
      entry = this.watched.get(deploymentId);
      if (!entry) {
        entry = { cursor, listeners: new Set() };
        this.watched.set(deploymentId, entry);
        this.streamsChanged();
      }
    }
    const watched = entry;
    watched.listeners.add(listener);
    this.loop ??= this.run();
    return () => {
      watched.listeners.delete(listener);
      if (watched.listeners.size === 0 && this.watched.get(deploymentId) === watched) {
        // The next XREAD leaves it out; no need to interrupt the current one.
        this.watched.delete(deploymentId);
      }
    };
  }

  stats(): EventHubStats {
    let listeners = 0;
    for (const entry of this.watched.values()) listeners += entry.listeners.size;
    return {
      streams: this.watched.size,
      listeners,
      admitted: this.admitted,
      reads: this.reads,
      delivered: this.delivered,
    };
  }

  /** Ends every client's stream: an open stream would hold the server's close up. */
  endStreams(): void {
    for (const entry of this.watched.values()) {
      for (const listener of entry.listeners) listener.close();
    }
  }

  async close(): Promise<void> {
    this.closed = true;
    this.wake?.();
    this.reader?.disconnect();
    await this.loop;
  }

  private streamsChanged(): void {
    this.changed = true;
    this.wake?.();
    this.wake = undefined;
    if (this.blocking && !this.unblocking) void this.unblock();
  }

  /**
   * Interrupts the pending XREAD so it is re-issued with the new set of streams. The XREAD may
   * not have reached Redis yet when the UNBLOCK does (they travel on different connections):
   * then UNBLOCK finds nothing to interrupt, and it is tried again.
   */
  private async unblock(): Promise<void> {
    this.unblocking = true;
    try {
      while (this.blocking && this.changed && this.readerId !== undefined && !this.closed) {
        const interrupted = await this.options.redis.client('UNBLOCK', this.readerId);
        if (interrupted === 1) return;
        await new Promise((resolve) => setTimeout(resolve, 2));
      }
    } catch (error) {
      this.options.logger.warn({ err: error }, 'event hub could not interrupt its reader');
    } finally {
      this.unblocking = false;
    }
  }

  private connection(): Redis {
    if (!this.reader) {
      const reader = this.options.redis.duplicate({
        connectionName: this.options.connectionName,
        // Unlike the request connection, this one may wait: for Redis to come back, and for
        // the blocking read to return.
        enableOfflineQueue: true,
        commandTimeout: BLOCK_MS + 5_000,
        maxRetriesPerRequest: null,
      });
      reader.on('error', (error) =>
        this.options.logger.warn({ err: error }, 'event hub connection error'),
      );
      // A reconnection is a new client with a new id.
      reader.on('close', () => (this.readerId = undefined));
      this.reader = reader;
    }
    return this.reader;
  }

  private async run(): Promise<void> {
    const { keys } = this.options;
    while (!this.closed) {
      if (this.watched.size === 0) {
        await new Promise<void>((resolve) => (this.wake = resolve));
        continue;
      }
      const ids = [...this.watched.keys()];
      const byKey = new Map(ids.map((id) => [keys.events(id), id]));
      const cursors = ids.map((id) => `0-${this.watched.get(id)?.cursor ?? 0}`);
      this.changed = false;
      let result: [key: string, entries: [id: string, fields: string[]][]][] | null;
      try {
        const reader = this.connection();
        this.readerId ??= await reader.client('ID');
        this.blocking = true;
        // A change that came while the id was fetched did not find the read to interrupt.
        if (this.changed) continue;
        result = await reader.xread(
          'COUNT',
          READ_COUNT,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          ...byKey.keys(),
          ...cursors,
        );
      } catch (error) {
        if (this.closed) return;
        this.options.logger.warn({ err: error }, 'event hub read failed; reading again');
        await new Promise((resolve) => setTimeout(resolve, RETRY_MS));
        continue;
      } finally {
        this.blocking = false;
      }
      this.reads++;
      for (const [key, entries] of result ?? []) {
        const id = byKey.get(key);
        const entry = id === undefined ? undefined : this.watched.get(id);
        if (!entry) continue;
        const cursor = entry.cursor;
        const fresh = parseEntries(entries).filter((event) => event.seq > cursor);
        const last = fresh.at(-1);
        if (!last) continue;
        entry.cursor = last.seq;
        // A batch per listener: one write per client for all the events of this read.
        for (const listener of entry.listeners) listener.events(fresh);
        this.delivered += fresh.length * entry.listeners.size;
      }
    }
  }
}
