import type { Redis } from 'ioredis';
import { keys } from './redis-keys';

export type EventKind = 'engine' | 'layer' | 'deployment' | 'end';

export interface LoggedEvent {
  seq: number;
  kind: EventKind;
  data: string;
}

/**
 * The sequence number and the stream entry are written in one step, so writers in several
 * processes (one per layer) still produce a gap-free, ordered stream whose entry ids are the
 * sequence numbers themselves ("0-<seq>"): replay from Last-Event-ID is a plain XRANGE.
 */
const APPEND = `
local seq = redis.call('INCR', KEYS[2])
redis.call('XADD', KEYS[1], '0-' .. seq, 'kind', ARGV[1], 'data', ARGV[2])
return seq`;

/** How long a finished deployment's events stay replayable. */
export const EVENT_RETENTION_SECONDS = 30 * 24 * 3600;

export class EventLog {
  constructor(private readonly redis: Redis) {}

  async append(deploymentId: string, kind: EventKind, data: unknown): Promise<number> {
    const seq = await this.redis.eval(
      APPEND,
      2,
      keys.events(deploymentId),
      keys.eventSequence(deploymentId),
      kind,
      JSON.stringify(data),
    );
    if (kind === 'end') {
      await this.redis
        .multi()
        .expire(keys.events(deploymentId), EVENT_RETENTION_SECONDS)
        .expire(keys.eventSequence(deploymentId), EVENT_RETENTION_SECONDS)
        .exec();
    }
    return Number(seq);
  }

  /** Events after `afterSeq`; waits up to `blockMs` for new ones when there are none yet. */
  async read(deploymentId: string, afterSeq: number, blockMs: number): Promise<LoggedEvent[]> {
    const key = keys.events(deploymentId);
    const from = `0-${afterSeq}`;
    const result =
      blockMs > 0
        ? await this.redis.xread('COUNT', 500, 'BLOCK', blockMs, 'STREAMS', key, from)
        : await this.redis.xread('COUNT', 500, 'STREAMS', key, from);
    const entries = result?.[0]?.[1] ?? [];
    return entries.map(([id, fields]) => {
      const record: Record<string, string> = {};
      for (let i = 0; i + 1 < fields.length; i += 2)
        record[fields[i] as string] = fields[i + 1] as string;
      return {
        seq: Number(id.split('-')[1]),
        kind: record.kind as EventKind,
        data: record.data ?? 'null',
      };
    });
  }
}
