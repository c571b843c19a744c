import { DelayedError, type Job } from 'bullmq';
import { DeliveryError, deliveryBody, postDelivery } from '../../core/notification-delivery';
import type { NotifyJobData } from '../../core/notification-events';
import type { Settings } from '../../core/settings';
import type { WorkerContext } from '../context';

/** The back-off of deliveries: exponential from STRATA_NOTIFY_BACKOFF, capped at its max. */
export const NOTIFY_BACKOFF = 'capped-exponential';

export function notifyBackoff(settings: Settings) {
  return (attemptsMade: number): number =>
    Math.min(
      settings.notificationBackoffMs * 2 ** Math.max(0, attemptsMade - 1),
      settings.notificationBackoffMaxMs,
    );
}

/** How soon a delivery whose deployment has an earlier one still unsent looks again. */
const WAIT_FOR_EARLIER_MS = 200;

/**
 * Delivers one notification to one subscriber. Deliveries of one deployment to one subscriber
 * go out in the order of its events: a later one waits while an earlier one is still being
 * tried. Every attempt is recorded for GET /v1/notifications/:id/deliveries.
 */
export function notifyProcessor(ctx: WorkerContext) {
  return async (job: Job<NotifyJobData>, token?: string): Promise<void> => {
    const { subscription: id, entry, notification } = job.data;
    const line = ctx.keys.notificationLine(id, notification.deployment.id);
    const found = await ctx.subscriptions.withSecret(id);
    if (!found) {
      // Unsubscribed since: nothing to send, and nothing later should wait for this one.
      await ctx.redis.zrem(line, entry);
      return;
    }
    const [head] = await ctx.redis.zrange(line, '0', '0');
    if (head !== undefined && head !== entry) {
      await job.moveToDelayed(Date.now() + WAIT_FOR_EARLIER_MS, token);
      throw new DelayedError();
    }
    const delivery = job.id ?? entry;
    const attempt = job.attemptsMade + 1;
    const startedAt = new Date();
    const started = performance.now();
    const record = (result: { statusCode?: number; error?: string }) =>
      ctx.subscriptions.recordAttempt(id, {
        delivery,
        event: notification.event,
        deployment: notification.deployment.id,
        attempt,
        at: startedAt.toISOString(),
        durationMs: Math.round(performance.now() - started),
        ...result,
      });
    try {
      const statusCode = await postDelivery({
        url: found.subscription.url,
        body: deliveryBody(notification, delivery, found.subscription.format),
        secret: found.secret,
        delivery,
        event: notification.event,
        timeoutMs: ctx.settings.notificationTimeoutMs,
      });
      await record({ statusCode });
      await ctx.redis.zrem(line, entry);
    } catch (error) {
      const failure = error instanceof DeliveryError ? error : new DeliveryError(String(error));
      await record({
        error: failure.message,
        ...(failure.statusCode ? { statusCode: failure.statusCode } : {}),
      });
      // Given up on: the deployment's later events go out without it.
      if (attempt >= (job.opts.attempts ?? 1)) await ctx.redis.zrem(line, entry);
      throw failure;
    }
  };
}
