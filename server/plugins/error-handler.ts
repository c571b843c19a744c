import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import fp from 'fastify-plugin';
import { STATUS_CODES } from 'node:http';
import { ConflictError, FencedError, NotFoundError } from '../../core/errors';
import { isRedisUnavailable } from '../../core/redis-unavailable';
import { ConfigError } from '../../programs/lib/config';
import { HttpError } from '../errors';

interface ValidationIssue {
  instancePath: string;
  keyword: string;
  message?: string;
  params: Record<string, unknown>;
  parentSchema?: { description?: string };
}

/** Ajv's "must NOT have additional properties" says neither which field nor where: say both. */
export function describeValidation(context: string, issues: ValidationIssue[]): string {
  return issues
    .map((issue) => {
      const where = [context, ...issue.instancePath.split('/').filter(Boolean)].join('.');
      switch (issue.keyword) {
        case 'additionalProperties':
          return `${where}: unknown field "${String(issue.params.additionalProperty)}"`;
        case 'required':
          return `${where}: missing field "${String(issue.params.missingProperty)}"`;
        case 'enum':
          return `${where} must be one of ${(issue.params.allowedValues as unknown[]).join(', ')}`;
        case 'pattern':
          return `${where} must be ${issue.parentSchema?.description ?? `like ${String(issue.params.pattern)}`}`;
        default:
          return `${where} ${issue.message ?? 'is invalid'}`;
      }
    })
    .join('; ');
}

function send(reply: FastifyReply, statusCode: number, message: string): FastifyReply {
  return reply
    .status(statusCode)
    .send({ statusCode, error: STATUS_CODES[statusCode] ?? 'Error', message });
}

/** The one error handler: every failure leaves as { statusCode, error, message }. */
export default fp(
  async (app) => {
    app.setErrorHandler((error: FastifyError, request: FastifyRequest, reply: FastifyReply) => {
      if (error.validation) {
        const issues = error.validation as unknown as ValidationIssue[];
        return send(reply, 400, describeValidation(error.validationContext ?? 'request', issues));
      }
      if (error instanceof HttpError) return send(reply, error.statusCode, error.message);
      if (error instanceof NotFoundError) return send(reply, 404, error.message);
      if (error instanceof ConflictError) return send(reply, 409, error.message);
      if (error instanceof FencedError) {
        return send(reply, 409, `${error.message}; try again when it has ended`);
      }
      if (isRedisUnavailable(error)) {
        request.log.warn({ err: error }, 'redis unavailable');
        return send(
          reply,
          503,
          `Redis is unavailable (${error.message.split('\n')[0]}); nothing was changed, try again shortly`,
        );
      }
      if (error instanceof ConfigError) return send(reply, 400, error.message);
      if (error.statusCode && error.statusCode >= 400 && error.statusCode < 500) {
        return send(reply, error.statusCode, error.message);
      }
      request.log.error({ err: error }, 'request failed');
      return send(reply, 500, 'internal error; the server log has the details');
    });
    app.setNotFoundHandler((request, reply) =>
      send(reply, 404, `no route ${request.method} ${request.url.split('?')[0]}`),
    );
  },
  { name: 'strata-error-handler' },
);
