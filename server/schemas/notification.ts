import { Type } from '@sinclair/typebox';
import { NOTIFICATION_EVENTS } from '../../core/notification-events';
import { EnvironmentName, StringEnum } from './common';

const NotificationEvent = StringEnum(NOTIFICATION_EVENTS);
const Format = StringEnum(['json', 'slack'] as const, {
  description: 'json (default) posts the event; slack posts {"text": "…"} for incoming webhooks',
});

export const SubscriptionParams = Type.Object({
  id: Type.String({
    pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
    description: 'a subscription id (a UUID, as the API returned it)',
  }),
});

export const CreateSubscriptionBody = Type.Object(
  {
    url: Type.String({
      minLength: 8,
      maxLength: 2000,
      pattern: '^[Hh][Tt][Tt][Pp][Ss]?://',
      description: 'where deliveries are POSTed; http or https only',
    }),
    events: Type.Array(NotificationEvent, { minItems: 1, uniqueItems: true }),
    format: Type.Optional(Format),
    environment: Type.Optional(EnvironmentName),
    template: Type.Optional(EnvironmentName),
    secret: Type.String({
      minLength: 16,
      maxLength: 256,
      description: 'key of the HMAC-SHA256 signature in X-Strata-Signature-256; never shown again',
    }),
  },
  { additionalProperties: false },
);

export const SubscriptionView = Type.Object({
  id: Type.String(),
  url: Type.String(),
  events: Type.Array(Type.String()),
  format: Type.String(),
  environment: Type.Optional(Type.String()),
  template: Type.Optional(Type.String()),
  createdAt: Type.String(),
});

export const DeliveriesQuery = Type.Object({
  limit: Type.Optional(
    Type.String({
      pattern: '^[1-9][0-9]?$',
      description: 'how many, newest first: 1 to 50 (default 20)',
    }),
  ),
});

export const DeliveryAttemptView = Type.Object({
  delivery: Type.String(),
  event: Type.String(),
  deployment: Type.String(),
  attempt: Type.Integer(),
  at: Type.String(),
  durationMs: Type.Integer(),
  statusCode: Type.Optional(Type.Integer()),
  error: Type.Optional(Type.String()),
});
