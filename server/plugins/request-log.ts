import { LogController, type FastifyReply, type FastifyRequest } from 'fastify';
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
 * One line per request, written when the response is sent: Fastify's default writes two at
 * `info` (on arrival and on completion, each serializing the request and its headers). The line
 * has flat fields only, so there is no header to serialize and no token to redact.
 */
export class RequestLog extends LogController {
  override incomingRequest(): void {}

  // The completed line says 404 already.
  override routeNotFound(): void {}

  override requestCompleted(
    error: Error | null,
    request: FastifyRequest,
    reply: FastifyReply,
  ): void {
    const note = request.logNote;
    const line = {
      method: request.method,
      url: request.url,
      route: request.routeOptions.url,
      remoteAddress: request.ip,
      statusCode: reply.statusCode,
      responseTime: Math.round(reply.elapsedTime * 10) / 10,
      ...(request.principal ? { by: request.principal.name } : {}),
      ...note?.fields,
    };
    if (error) reply.log.error({ ...line, err: error }, 'request errored');
    else reply.log.info(line, note?.message ?? 'request completed');
  }
}

/** Gives every request the `logNote` slot RequestLog reads (set by buildApp as logController). */
export default fp(
  async (app) => {
    app.decorateRequest('logNote', undefined);
  },
  { name: 'strata-request-log' },
);
