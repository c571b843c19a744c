import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FINAL_STATUSES } from '../../core/domain';
import { ConflictError } from '../../core/errors';
import { BadRequestError, ForbiddenError } from '../errors';
import { EventStream } from '../event-stream';
import { errorResponses, IdParams, StringEnum } from '../schemas/common';
import { DeploymentView } from '../schemas/deployment';
import { deploymentView } from '../views';

const KEEPALIVE_MS = 15_000;
/** Events one backlog read returns. */
const BACKLOG_BATCH = 500;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, lifecycle, events } = app.strata;
  const { eventHub } = app;

  app.get(
    '/v1/deployments/:id',
    {
      onRequest: app.authorize('read'),
      schema: { params: IdParams, response: { 200: DeploymentView, ...errorResponses } },
    },
    async (request) => {
      const deployment = await store.requireDeployment(request.params.id);
      return deploymentView(lifecycle, deployment);
    },
  );

  app.get(
    '/v1/deployments/:id/events',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: IdParams,
        querystring: Type.Object({
          lastEventId: Type.Optional(
            Type.String({ description: 'same as the Last-Event-ID header' }),
          ),
        }),
        response: {
          200: {
            description:
              'Server-Sent Events: `id:` a sequence, `event:` engine, layer, deployment or end, `data:` JSON',
            content: {
              'text/event-stream': {
                // Schemathesis and OpenAPI 3.2 read this as the schema of each event.
                schema: Type.Object({
                  id: Type.Optional(Type.String({ pattern: '^[0-9]+$' })),
                  event: StringEnum(['engine', 'layer', 'deployment', 'end'] as const),
                  data: Type.String({ contentMediaType: 'application/json' }),
                }),
              },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      const { id } = request.params;
      const deployment = await store.requireDeployment(id);
      const lastHeader = request.headers['last-event-id'] ?? request.query.lastEventId ?? '0';
      const last = Number(lastHeader);
      if (!Number.isInteger(last) || last < 0) {
        throw new BadRequestError(
          `Last-Event-ID must be a whole number, the id of the last event received (got "${String(lastHeader)}")`,
        );
      }
      // Refused (429) before any SSE header is sent.
      const release = eventHub.admit(request.principal?.name ?? 'api');
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // The client learns at once that it is connected, not at the first event or heartbeat.
      raw.flushHeaders();
      const stream = new EventStream(raw, last);
      const sendRest = async (): Promise<void> => {
        for (;;) {
          const batch = await events.range(id, stream.seq, BACKLOG_BATCH);
          if (batch.length === 0 || stream.ended) return;
          stream.backlog(batch);
        }
      };
      // A deployment's status and its `end` event are written in one step: once the status is
      // final, the rest of the stream is all there is (or nothing, when it has expired).
      const endIfFinished = async (): Promise<void> => {
        const current = await store.getDeployment(id);
        if (current && !FINAL_STATUSES.has(current.status)) return;
        await sendRest();
        stream.end(current?.status ?? deployment.status);
      };
      const closed = (): void => stream.close();
      raw.on('close', closed);
      const keepalive = setInterval(() => {
        stream.heartbeat();
        // Also ends the stream of a deployment whose record is gone.
        if (stream.live) endIfFinished().catch(() => undefined);
      }, KEEPALIVE_MS);
      let unwatch: (() => void) | undefined;
      try {
        // Watch first, then read the backlog: whatever is appended in between arrives twice
        // at most, and the stream skips sequences it has sent.
        unwatch = await eventHub.watch(id, stream);
        await sendRest();
        stream.goLive();
        await endIfFinished();
        await stream.done;
      } catch (error) {
        if (!stream.ended) request.log.warn({ err: error, deployment: id }, 'event stream failed');
      } finally {
        clearInterval(keepalive);
        raw.off('close', closed);
        unwatch?.();
        release();
        raw.end();
      }
    },
  );

  app.post(
    '/v1/deployments/:id/approve',
    {
      onRequest: app.authorize('deploy'),
      schema: { params: IdParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const current = await store.requireDeployment(id);
      const approver = request.principal?.name ?? 'api';
      if (
        !app.strata.settings.allowSelfApproval &&
        current.trigger.kind === 'api' &&
        current.trigger.actor === approver
      ) {
        throw new ForbiddenError(
          `token "${approver}" asked for deployment ${id} and may not approve it too (STRATA_ALLOW_SELF_APPROVAL=false): another token with the deploy scope must approve it`,
        );
      }
      const approved = await lifecycle.approve(id, approver);
      if (!approved) {
        throw new ConflictError(`deployment ${id} is ${current.status}, not pending_approval`);
      }
      request.log.info({ deployment: id, approver }, 'deployment approved');
      return reply.status(202).send(await deploymentView(lifecycle, approved));
    },
  );

  app.post(
    '/v1/deployments/:id/reject',
    {
      onRequest: app.authorize('deploy'),
      schema: { params: IdParams, response: { 200: DeploymentView, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params;
      const current = await store.requireDeployment(id);
      const rejecter = request.principal?.name ?? 'api';
      const rejected = await lifecycle.reject(id, rejecter);
      if (!rejected) {
        throw new ConflictError(`deployment ${id} is ${current.status}, not pending_approval`);
      }
      request.log.info({ deployment: id, rejecter }, 'deployment rejected');
      return deploymentView(lifecycle, rejected);
    },
  );

  app.post(
    '/v1/deployments/:id/cancel',
    {
      onRequest: app.authorize('deploy'),
      schema: { params: IdParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.params;
      // Waiting deployments end at once; a running one ends when whoever runs it (now, or after
      // a restart) reads the request.
      const updated = await lifecycle.requestCancel(id, request.principal?.name ?? 'api');
      return reply.status(202).send(await deploymentView(lifecycle, updated));
    },
  );
};

export default routes;
