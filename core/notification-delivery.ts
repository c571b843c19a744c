import { createHmac } from 'node:crypto';
import type { OutboxEntry } from './notification-events';
import type { NotificationFormat } from './notification-subscriptions';

export const SIGNATURE_HEADER = 'x-strata-signature-256';
export const DELIVERY_HEADER = 'x-strata-delivery';
export const TIMESTAMP_HEADER = 'x-strata-timestamp';
export const EVENT_HEADER = 'x-strata-event';

/** A receiver answered something other than 2xx, or could not be reached in time. */
export class DeliveryError extends Error {
  override name = 'DeliveryError';
  constructor(
    message: string,
    readonly statusCode?: number,
  ) {
    super(message);
  }
}

/** `sha256=<hex HMAC-SHA256 of the raw body>`, as GitHub signs its webhooks. */
export function signature(secret: string, body: string): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

const SUMMARY: Record<OutboxEntry['event'], string> = {
  'deployment.started': 'started',
  'deployment.succeeded': 'succeeded',
  'deployment.failed': 'failed',
  'deployment.cancelled': 'was cancelled',
  'deployment.pending_approval': 'waits for approval',
  'drift.found': 'found drift',
  'environment.expired': 'reached its TTL: destroying',
};

function slackText(entry: OutboxEntry): string {
  const d = entry.deployment;
  const cause = d.trigger.pullRequest
    ? ` for ${d.trigger.repository}#${d.trigger.pullRequest}`
    : d.trigger.commit
      ? ` at ${d.trigger.commit.slice(0, 7)}`
      : '';
  const subject =
    entry.event === 'environment.expired'
      ? `Environment \`${d.environment}\``
      : `\`${d.operation}\` of \`${d.environment}\`${cause}`;
  return `${subject} ${SUMMARY[entry.event]}${d.error ? `: ${d.error}` : ''} (deployment ${d.id})`;
}

/** The exact bytes sent (and signed) for one delivery. */
export function deliveryBody(
  entry: OutboxEntry,
  delivery: string,
  format: NotificationFormat,
): string {
  if (format === 'slack') return JSON.stringify({ text: slackText(entry) });
  return JSON.stringify({
    id: delivery,
    event: entry.event,
    timestamp: entry.at,
    environment: entry.deployment.environment,
    ...(entry.template ? { template: entry.template } : {}),
    deployment: entry.deployment,
  });
}

/** POSTs one delivery; resolves with the status code of a 2xx, throws DeliveryError otherwise. */
export async function postDelivery(options: {
  url: string;
  body: string;
  secret: string;
  delivery: string;
  event: string;
  timeoutMs: number;
}): Promise<number> {
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      body: options.body,
      headers: {
        'content-type': 'application/json',
        'user-agent': 'Strata-Notifications',
        [EVENT_HEADER]: options.event,
        [DELIVERY_HEADER]: options.delivery,
        [TIMESTAMP_HEADER]: String(Math.floor(Date.now() / 1000)),
        [SIGNATURE_HEADER]: signature(options.secret, options.body),
      },
      // A redirect would send the signed body somewhere nobody subscribed.
      redirect: 'manual',
      signal: AbortSignal.timeout(options.timeoutMs),
    });
  } catch (error) {
    const timedOut = error instanceof Error && error.name === 'TimeoutError';
    throw new DeliveryError(
      timedOut
        ? `no answer within ${options.timeoutMs} ms`
        : `could not reach the receiver: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`,
    );
  }
  // The answer's body is not needed; releasing it frees the connection.
  await response.body?.cancel().catch(() => undefined);
  if (response.status < 200 || response.status > 299) {
    throw new DeliveryError(`the receiver answered ${response.status}`, response.status);
  }
  return response.status;
}
