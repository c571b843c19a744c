import rateLimit from '@fastify/rate-limit';
import type { FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { TooManyRequestsError } from '../errors';

declare module 'fastify' {
  interface FastifyContextConfig {
    /**
     * A route anyone may call (the webhook intake, deploy hooks): limited per client address,
     * since there is no token to limit.
     */
    intake?: boolean;
  }
}

const WINDOW_MS = 60_000;

/**
 * Requests a minute, per token on the authenticated routes and per client address on the
 * intake routes. The counters live in Redis, so every API process behind one balancer shares
 * them. Other unauthenticated routes (probes, the OpenAPI document, the dashboard's page) are
 * not limited: they read nothing from Redis.
 */
export default fp(
  async (app) => {
    const { settings, redis, keys } = app.strata;
    // Runs after `authorize` (the limit is appended to each route's own onRequest hooks), so
    // the principal is known: a request without a valid token was refused already.
    const limitOf = (request: FastifyRequest) =>
      request.principal
        ? {
            key: `token:${request.principal.name}`,
            max: settings.rateLimitPerToken,
            what: `token "${request.principal.name}"`,
            setting: 'STRATA_RATE_LIMIT_PER_TOKEN',
          }
        : {
            key: `address:${request.ip}`,
            max: settings.rateLimitIntake,
            what: `address ${request.ip} to the webhook intake and deploy hooks`,
            setting: 'STRATA_RATE_LIMIT_INTAKE',
          };
    await app.register(rateLimit, {
      global: true,
      redis,
      nameSpace: keys.rateLimit(),
      timeWindow: WINDOW_MS,
      // When Redis is away the route answers 503 itself; the limit does not add a 500.
      skipOnError: true,
      allowList: (request) => !request.principal && request.routeOptions.config.intake !== true,
      keyGenerator: (request) => limitOf(request).key,
      max: (request) => limitOf(request).max,
      errorResponseBuilder: (request, context) => {
        const limit = limitOf(request);
        return new TooManyRequestsError(
          `rate limit: ${limit.what} may make ${context.max} requests a minute; try again in ${context.after} (${limit.setting} raises the limit)`,
        );
      },
    });
  },
  { name: 'strata-rate-limit', dependencies: ['strata-services', 'strata-auth'] },
);
