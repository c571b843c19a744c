import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { DELIVERIES_KEPT } from '../../core/notification-subscriptions';
import { BadRequestError } from '../errors';
import { errorResponses } from '../schemas/common';
import {
  CreateSubscriptionBody,
  DeliveriesQuery,
  DeliveryAttemptView,
  SubscriptionParams,
  SubscriptionView,
} from '../schemas/notification';

/** Only http(s) URLs with a host: Strata POSTs to exactly what an admin subscribes. */
function receiverUrl(text: string): string {
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new BadRequestError(`body.url: "${text}" is not a URL`);
  }
  if (url.protocol !== 'http:' && url.protocol !== 'https:') {
    throw new BadRequestError(
      `body.url: only http and https URLs are allowed, not ${url.protocol}`,
    );
  }
  if (url.username || url.password) {
    throw new BadRequestError(
      'body.url: credentials in the URL would be shown to every reader; sign with the secret instead',
    );
  }
  return url.href;
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { subscriptions } = app.strata;

  app.get(
    '/v1/notifications',
    {
      onRequest: app.authorize('read'),
      schema: {
        response: {
          200: Type.Object({ subscriptions: Type.Array(SubscriptionView) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ subscriptions: await subscriptions.list() }),
  );

  app.get(
    '/v1/notifications/:id',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: SubscriptionParams,
        response: { 200: SubscriptionView, ...errorResponses },
      },
    },
    async (request) => subscriptions.require(request.params.id),
  );

  app.post(
    '/v1/notifications',
    {
      onRequest: app.authorize('admin'),
      schema: {
        body: CreateSubscriptionBody,
        response: { 201: SubscriptionView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { secret, url, format, ...filters } = request.body;
      const subscription = await subscriptions.create(
        { ...filters, url: receiverUrl(url), format: format ?? 'json' },
        secret,
      );
      request.log.info(
        { subscription: subscription.id, url: subscription.url, by: request.principal?.name },
        'notification subscription created',
      );
      return reply.status(201).send(subscription);
    },
  );

  app.delete(
    '/v1/notifications/:id',
    {
      onRequest: app.authorize('admin'),
      schema: {
        params: SubscriptionParams,
        response: { 200: SubscriptionView, ...errorResponses },
      },
    },
    async (request) => {
      const subscription = await subscriptions.require(request.params.id);
      await subscriptions.delete(subscription.id);
      return subscription;
    },
  );

  app.get(
    '/v1/notifications/:id/deliveries',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: SubscriptionParams,
        querystring: DeliveriesQuery,
        response: {
          200: Type.Object({ deliveries: Type.Array(DeliveryAttemptView) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await subscriptions.require(request.params.id);
      const limit = Math.min(Number(request.query.limit ?? 20), DELIVERIES_KEPT);
      return { deliveries: await subscriptions.deliveries(request.params.id, limit) };
    },
  );
};

export default routes;
