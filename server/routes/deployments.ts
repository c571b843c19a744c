import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FINAL_STATUSES } from '../../core/domain';
import { EventLog } from '../../core/event-log';
import { ConflictError } from '../../core/errors';
import { BadRequestError, ForbiddenError } from '../errors';
import { errorResponses, IdParams, StringEnum } from '../schemas/common';
import { DeploymentView } from '../schemas/deployment';
import { deploymentView } from '../views';

const KEEPALIVE_MS = 15_000;
const READ_BLOCK_MS = 5_000;
const FINISHED_BLOCK_MS = 500;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, lifecycle, redis, keys } = app.strata;

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
      reply.hijack();
      const raw = reply.raw;
      raw.writeHead(200, {
        'content-type': 'text/event-stream; charset=utf-8',
        'cache-control': 'no-cache',
        connection: 'keep-alive',
        'x-accel-buffering': 'no',
      });
      // XREAD BLOCK holds its connection, so every watcher gets its own, allowed to wait.
      const reader = redis.duplicate({
        enableOfflineQueue: true,
        commandTimeout: READ_BLOCK_MS + 5_000,
      });
      reader.on('error', () => undefined);
      const log = new EventLog(reader, keys);
      let open = true;
      const stop = (): void => {
        open = false;
        reader.disconnect();
      };
      request.raw.on('close', stop);
      const keepalive = setInterval(() => raw.write(': keepalive\n\n'), KEEPALIVE_MS);
      let seq = last;
      // A finished deployment has nothing more to wait for: short reads.
      const blockMs = FINAL_STATUSES.has(deployment.status) ? FINISHED_BLOCK_MS : READ_BLOCK_MS;
      let caughtUpBefore = false;
      try {
        while (open) {
          const batch = await log.read(id, seq, blockMs);
          for (const event of batch) {
            raw.write(`id: ${event.seq}\nevent: ${event.kind}\ndata: ${event.data}\n\n`);
            seq = event.seq;
            if (event.kind === 'end') open = false;
          }
          if (batch.length === 0 && open) {
            // A finished deployment whose events have expired still ends its stream.
            const current = await store.getDeployment(id);
            const expired = !(await app.strata.events.exists(id));
            // A client resuming at or past the end of a finished deployment has everything.
            // Twice in a row, so an `end` being written just now is still delivered.
            const written = Number((await redis.get(keys.eventSequence(id))) ?? 0);
            const caughtUp = !!current && FINAL_STATUSES.has(current.status) && written <= seq;
            if (
              !current ||
              (FINAL_STATUSES.has(current.status) && expired) ||
              (caughtUp && caughtUpBefore)
            ) {
              raw.write(
                `event: end\ndata: ${JSON.stringify({ status: current?.status ?? deployment.status })}\n\n`,
              );
              open = false;
            }
            caughtUpBefore = caughtUp;
          }
        }
      } catch (error) {
        if (open) request.log.warn({ err: error, deployment: id }, 'event stream failed');
      } finally {
        clearInterval(keepalive);
        request.raw.off('close', stop);
        reader.disconnect();
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
