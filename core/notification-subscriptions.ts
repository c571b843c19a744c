import { randomUUID } from 'node:crypto';
import type { Redis } from 'ioredis';
import { decrypt, encrypt } from './crypto';
import { NotFoundError } from './errors';
import type { NotificationEvent } from './notification-events';
import type { RedisKeys } from './redis-keys';

export type NotificationFormat = 'json' | 'slack';

/** A subscription as the API shows it: everything but the secret. */
export interface Subscription {
  id: string;
  url: string;
  events: NotificationEvent[];
  format: NotificationFormat;
  /** Only this environment's deployments. */
  environment?: string;
  /** Only deployments of environments made from this review template. */
  template?: string;
  createdAt: string;
}

/** One attempt at a delivery, as GET …/deliveries shows it. */
export interface DeliveryAttempt {
  delivery: string;
  event: NotificationEvent;
  deployment: string;
  attempt: number;
  at: string;
  durationMs: number;
  statusCode?: number;
  error?: string;
}

/** Attempts kept per subscription. */
export const DELIVERIES_KEPT = 50;

interface Stored extends Subscription {
  /** The signing secret, sealed with the bundle key: a Redis dump does not hand it out. */
  sealedSecret: string;
}

export class NotificationSubscriptions {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
    private readonly sealingKey: string,
  ) {}

  private async stored(id: string): Promise<Stored | undefined> {
    const raw = await this.redis.get(this.keys.notification(id));
    return raw === null ? undefined : (JSON.parse(raw) as Stored);
  }

  private static view({ sealedSecret: _secret, ...subscription }: Stored): Subscription {
    return subscription;
  }

  async create(
    fields: Omit<Subscription, 'id' | 'createdAt'>,
    secret: string,
  ): Promise<Subscription> {
    const record: Stored = {
      id: randomUUID(),
      ...fields,
      createdAt: new Date().toISOString(),
      sealedSecret: encrypt(this.sealingKey, secret),
    };
    await this.redis
      .multi()
      .set(this.keys.notification(record.id), JSON.stringify(record))
      .zadd(this.keys.notifications(), Date.parse(record.createdAt), record.id)
      .exec();
    return NotificationSubscriptions.view(record);
  }

  async get(id: string): Promise<Subscription | undefined> {
    const record = await this.stored(id);
    return record && NotificationSubscriptions.view(record);
  }

  async require(id: string): Promise<Subscription> {
    const subscription = await this.get(id);
    if (!subscription) throw new NotFoundError(`notification subscription "${id}" not found`);
    return subscription;
  }

  /** The subscription with its secret, for signing a delivery and nothing else. */
  async withSecret(
    id: string,
  ): Promise<{ subscription: Subscription; secret: string } | undefined> {
    const record = await this.stored(id);
    if (!record) return undefined;
    return {
      subscription: NotificationSubscriptions.view(record),
      secret: decrypt(this.sealingKey, record.sealedSecret),
    };
  }

  async list(): Promise<Subscription[]> {
    const ids = await this.redis.zrange(this.keys.notifications(), '0', '-1');
    const records = await Promise.all(ids.map((id) => this.get(id)));
    return records.filter((r): r is Subscription => r !== undefined);
  }

  async delete(id: string): Promise<void> {
    const [[, removed] = [null, 0]] =
      (await this.redis
        .multi()
        .del(this.keys.notification(id))
        .zrem(this.keys.notifications(), id)
        .del(this.keys.notificationDeliveries(id))
        .exec()) ?? [];
    if (removed === 0) throw new NotFoundError(`notification subscription "${id}" not found`);
  }

  async recordAttempt(subscription: string, attempt: DeliveryAttempt): Promise<void> {
    await this.redis
      .multi()
      .lpush(this.keys.notificationDeliveries(subscription), JSON.stringify(attempt))
      .ltrim(this.keys.notificationDeliveries(subscription), 0, DELIVERIES_KEPT - 1)
      .exec();
  }

  /** Newest first. */
  async deliveries(subscription: string, limit = DELIVERIES_KEPT): Promise<DeliveryAttempt[]> {
    const raw = await this.redis.lrange(
      this.keys.notificationDeliveries(subscription),
      0,
      limit - 1,
    );
    return raw.map((r) => JSON.parse(r) as DeliveryAttempt);
  }
}
