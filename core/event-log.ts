import type { Redis } from 'ioredis';
import { luaScript } from './lua-script';
import type { RedisKeys } from './redis-keys';

export type EventKind = 'engine' | 'layer' | 'deployment' | 'end';

export interface LoggedEvent {
  seq: number;
  kind: EventKind;
  data: string;
}

/** How long a finished deployment's events stay replayable. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;

const appendScript = luaScript('append-event');

/**
 * A deployment's events as a Redis Stream whose entry ids are gap-free sequence numbers.
 * Engine events are appended here; status events and `end` are appended by the deployment
 * lifecycle in the same step as the status change they announce.
 */
export class EventLog {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async append(deploymentId: string, kind: EventKind, data: unknown): Promise<number> {
    const seq = await appendScript.run(
      this.redis,
      [this.keys.events(deploymentId), this.keys.eventSequence(deploymentId)],
      [kind, JSON.stringify(data)],
    );
    return Number(seq);
  }

  /** Whether the stream still exists (it expires a while after the deployment ended). */
  async exists(deploymentId: string): Promise<boolean> {
    return (await this.redis.exists(this.keys.events(deploymentId))) === 1;
  }

  /** Events after `afterSeq`; waits up to `blockMs` for new ones when there are none yet. */
  async read(deploymentId: string, afterSeq: number, blockMs: number): Promise<LoggedEvent[]> {
    const key = this.keys.events(deploymentId);
    const from = `0-${afterSeq}`;
    const result =
      blockMs > 0
        ? await this.redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, from)
        : await this.redis.xread('COUNT', 500, 'STREAMS', key, from);
    return parseEntries(result?.[0]?.[1] ?? []);
  }

  /** Up to `count` events after `afterSeq`, without waiting. */
  async range(deploymentId: string, afterSeq: number, count: number): Promise<LoggedEvent[]> {
    const entries = await this.redis.xrange(
      this.keys.events(deploymentId),
      `(0-${afterSeq}`,
      '+',
      'COUNT',
      count,
    );
    return parseEntries(entries);
  }

  /** The sequence of the newest event still in the stream (0 when there is none). */
  async lastSeq(deploymentId: string): Promise<number> {
    const [newest] = await this.redis.xrevrange(
      this.keys.events(deploymentId),
      '+',
      '-',
      'COUNT',
      1,
    );
    return newest ? seqOf(newest[0]) : 0;
  }
}

function seqOf(entryId: string): number {
  return Number(entryId.split('-')[1]);
}

/** Stream entries as events: entry ids are `0-<sequence>`, fields `kind` and `data`. */
export function parseEntries(entries: [id: string, fields: string[]][]): LoggedEvent[] {
  return entries.map(([id, fields]) => {
    const record: Record<string, string> = {};
    for (let i = 0; i + 1 < fields.length; i += 2)
      record[fields[i] as string] = fields[i + 1] as string;
    return { seq: seqOf(id), kind: record.kind as EventKind, data: record.data ?? 'null' };
  });
}
