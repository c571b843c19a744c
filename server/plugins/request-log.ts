import fp from 'fastify-plugin';

declare module 'fastify' {
  interface FastifyRequest {
    /**
     * What a route adds to its request's log line (who downloaded which bundle), instead of
     * logging a line of its own.
     */
    logNote?: { message: string; fields: Record<string, unknown> };
  }
}

/**
 * One line per request at `info`, written when the response is sent: Fastify's own request
 * logging writes two (on arrival and on completion), each serializing the request. The line
 * carries what a reader of the logs needs: method, URL, route, status, time, principal.
 */
export default fp(
  async (app) => {
    app.decorateRequest('logNote', undefined);
    app.addHook('onResponse', async (request, reply) => {
      const note = request.logNote;
      // Flat fields, no headers: nothing to serialize but these, and no token to redact.
      request.log.info(
        {
          method: request.method,
          url: request.url,
          route: request.routeOptions.url,
          remoteAddress: request.ip,
          statusCode: reply.statusCode,
          responseTime: Math.round(reply.elapsedTime * 10) / 10,
          ...(request.principal ? { by: request.principal.name } : {}),
          ...note?.fields,
        },
        note?.message ?? 'request completed',
      );
    });
  },
  { name: 'strata-request-log', dependencies: ['strata-auth'] },
);
