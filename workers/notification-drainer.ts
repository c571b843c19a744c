import type { Queue } from 'bullmq';
import type { Redis } from 'ioredis';
import type { Logger } from 'pino';
import type { NotifyJobData, OutboxEntry } from '../core/notification-events';
import type { NotificationSubscriptions, Subscription } from '../core/notification-subscriptions';
import type { RedisKeys } from '../core/redis-keys';
import type { Settings } from '../core/settings';
import { NOTIFY_BACKOFF } from './processors/notify';

/** How long the drainer's lease lasts without renewal; another worker takes over after it. */
const DRAINER_LEASE_MS = 5_000;
/** How long one read of the outbox waits for a new entry. */
const BLOCK_MS = 1_000;
/** Unsent events of a deployment are kept this long at most. */
const LINE_RETENTION_SECONDS = 7 * 24 * 3600;

const pause = (ms: number): Promise<void> => new Promise((r) => setTimeout(r, ms));

/** A stream id `<ms>-<seq>` as a number that sorts like it. */
const orderOf = (entry: string): number => {
  const [ms = '0', seq = '0'] = entry.split('-');
  return Number(ms) * 1024 + Math.min(Number(seq), 1023);
};

export function wants(subscription: Subscription, entry: OutboxEntry): boolean {
  return (
    subscription.events.includes(entry.event) &&
    (subscription.environment === undefined ||
      subscription.environment === entry.deployment.environment) &&
    (subscription.template === undefined || subscription.template === entry.template)
  );
}

/**
 * Moves notifications from the outbox (written with each transition) to the delivery queue,
 * one job per subscription that wants it. One worker drains at a time, in outbox order, and an
 * entry leaves the outbox only once its jobs are queued: a worker dying midway leaves it for the
 * next drainer, whose jobs carry the same ids and so are not queued twice.
 */
export class NotificationDrainer {
  private stopped = false;
  private loop?: Promise<void>;
  private readonly reader: Redis;

  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly subscriptions: NotificationSubscriptions,
    private readonly queue: Queue<NotifyJobData>,
    private readonly settings: Settings,
    private readonly logger: Logger,
  ) {
    // Blocking reads get a connection of their own, so they never hold up other commands.
    this.reader = redis.duplicate();
    this.reader.on('error', (error) => logger.warn({ err: error }, 'outbox reader error'));
  }

  start(): void {
    this.loop ??= this.run();
  }

  async close(): Promise<void> {
    this.stopped = true;
    this.reader.disconnect();
    await this.loop;
    if ((await this.redis.get(this.keys.notificationDrainer())) === this.settings.workerId) {
      await this.redis.del(this.keys.notificationDrainer());
    }
  }

  private async holdLease(): Promise<boolean> {
    const key = this.keys.notificationDrainer();
    const me = this.settings.workerId;
    if ((await this.redis.set(key, me, 'PX', DRAINER_LEASE_MS, 'NX')) === 'OK') return true;
    if ((await this.redis.get(key)) !== me) return false;
    await this.redis.pexpire(key, DRAINER_LEASE_MS);
    return true;
  }

  private async run(): Promise<void> {
    while (!this.stopped) {
      try {
        if (!(await this.holdLease())) {
          await pause(BLOCK_MS);
          continue;
        }
        const streams = await this.reader.xread(
          'COUNT',
          100,
          'BLOCK',
          BLOCK_MS,
          'STREAMS',
          this.keys.notificationOutbox(),
          '0',
        );
        for (const [, entries] of streams ?? []) {
          for (const [id, fields] of entries) {
            if (this.stopped) return;
            await this.dispatch(id, fields);
            await this.redis.xdel(this.keys.notificationOutbox(), id);
          }
        }
      } catch (error) {
        if (this.stopped) return;
        this.logger.warn({ err: error }, 'notification outbox: draining failed; trying again');
        await pause(BLOCK_MS);
      }
    }
  }

  private async dispatch(id: string, fields: string[]): Promise<void> {
    const raw = fields[fields.indexOf('n') + 1];
    if (raw === undefined) return;
    const notification = JSON.parse(raw) as OutboxEntry;
    for (const subscription of await this.subscriptions.list()) {
      if (!wants(subscription, notification)) continue;
      const line = this.keys.notificationLine(subscription.id, notification.deployment.id);
      await this.redis
        .multi()
        .zadd(line, 'NX', orderOf(id), id)
        .expire(line, LINE_RETENTION_SECONDS)
        .exec();
      await this.queue.add(
        notification.event,
        { subscription: subscription.id, entry: id, notification },
        {
          jobId: `${id}-${subscription.id}`,
          attempts: this.settings.notificationAttempts,
          backoff: { type: NOTIFY_BACKOFF, delay: this.settings.notificationBackoffMs },
          removeOnComplete: 1000,
          removeOnFail: 5000,
        },
      );
    }
  }
}
