import type { DeploymentRecord } from './domain';

export const NOTIFICATION_EVENTS = [
  'deployment.started',
  'deployment.succeeded',
  'deployment.failed',
  'deployment.cancelled',
  'deployment.pending_approval',
  'drift.found',
  'environment.expired',
] as const;
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** The BullMQ queue of deliveries, beside the installation's deployment queue. */
export const notificationQueueName = (deploymentQueue: string): string =>
  `${deploymentQueue}-notifications`;

/** One delivery of one outbox entry to one subscription. */
export interface NotifyJobData {
  subscription: string;
  /** The outbox entry's stream id: its place in the order of its deployment's events. */
  entry: string;
  notification: OutboxEntry;
}

/** What a transition writes to the outbox: the event, and the deployment as it stood. */
export interface OutboxEntry {
  event: NotificationEvent;
  at: string;
  deployment: {
    id: string;
    environment: string;
    operation: string;
    status: string;
    trigger: DeploymentRecord['trigger'];
    error?: string;
  };
  template?: string;
}

export function outboxEntry(event: NotificationEvent, d: DeploymentRecord): OutboxEntry {
  return {
    event,
    at: new Date().toISOString(),
    deployment: {
      id: d.id,
      environment: d.environment,
      operation: d.operation,
      status: d.status,
      trigger: d.trigger,
      ...(d.error ? { error: d.error } : {}),
    },
    ...(d.reviewTemplate ? { template: d.reviewTemplate } : {}),
  };
}

/** The notifications a deployment reaching its status (from another) is announced by. */
export function notificationsOf(d: DeploymentRecord, previous?: DeploymentRecord): OutboxEntry[] {
  if (previous?.status === d.status) return [];
  switch (d.status) {
    case 'queued':
      return !previous && d.trigger.kind === 'ttl' ? [outboxEntry('environment.expired', d)] : [];
    case 'running':
      return [outboxEntry('deployment.started', d)];
    case 'pending_approval':
      return [outboxEntry('deployment.pending_approval', d)];
    case 'succeeded':
      return [
        outboxEntry('deployment.succeeded', d),
        ...(d.operation === 'drift' && d.drift ? [outboxEntry('drift.found', d)] : []),
      ];
    case 'failed':
      return [outboxEntry('deployment.failed', d)];
    case 'cancelled':
      return [outboxEntry('deployment.cancelled', d)];
    case 'superseded':
      return [];
  }
}
