import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { FINAL_STATUSES } from '../../core/domain';
import { EventLog } from '../../core/event-log';
import { keys } from '../../core/redis-keys';
import { ConflictError } from '../../core/store';
import { BadRequestError } from '../errors';
import { errorResponses, IdParams, StringEnum } from '../schemas/common';
import { DeploymentView } from '../schemas/deployment';
import { deploymentView } from '../views';

const KEEPALIVE_MS = 15_000;
const READ_BLOCK_MS = 5_000;
const FINISHED_BLOCK_MS = 500;

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, deployments, redis } = app.strata;

  app.get(
    '/v1/deployments/:id',
    {
      preHandler: app.authorize('read'),
      schema: { params: IdParams, response: { 200: DeploymentView, ...errorResponses } },
    },
    async (request) => {
      const deployment = await store.requireDeployment(request.params.id);
      return deploymentView(deployments, deployment);
    },
  );

  app.get(
    '/v1/deployments/:id/events',
    {
      preHandler: app.authorize('read'),
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
      // XREAD BLOCK holds its connection, so every watcher gets its own.
      const reader = redis.duplicate();
      const log = new EventLog(reader);
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
            const expired = (await redis.exists(keys.events(id))) === 0;
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
      preHandler: app.authorize('deploy'),
      schema: { params: IdParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const current = await store.requireDeployment(id);
      const approver = request.principal?.name ?? 'api';
      const approved = await deployments.approve(id, approver);
      if (!approved) {
        throw new ConflictError(`deployment ${id} is ${current.status}, not pending_approval`);
      }
      request.log.info({ deployment: id, approver }, 'deployment approved');
      return reply.status(202).send(await deploymentView(deployments, approved));
    },
  );

  app.post(
    '/v1/deployments/:id/reject',
    {
      preHandler: app.authorize('deploy'),
      schema: { params: IdParams, response: { 200: DeploymentView, ...errorResponses } },
    },
    async (request) => {
      const { id } = request.params;
      const current = await store.requireDeployment(id);
      if (current.status !== 'pending_approval' || !current.approval) {
        throw new ConflictError(`deployment ${id} is ${current.status}, not pending_approval`);
      }
      const rejecter = request.principal?.name ?? 'api';
      const rejected = await deployments.endWaiting(id, 'cancelled', {
        approval: {
          ...current.approval,
          rejectedBy: rejecter,
          rejectedAt: new Date().toISOString(),
        },
        error: `rejected by ${rejecter}`,
      });
      if (!rejected) throw new ConflictError(`deployment ${id} was decided meanwhile`);
      request.log.info({ deployment: id, rejecter }, 'deployment rejected');
      return deploymentView(deployments, rejected);
    },
  );

  app.post(
    '/v1/deployments/:id/cancel',
    {
      preHandler: app.authorize('deploy'),
      schema: { params: IdParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const { id } = request.params;
      const current = await store.requireDeployment(id);
      if (FINAL_STATUSES.has(current.status)) {
        throw new ConflictError(`deployment ${id} already ended ${current.status}`);
      }
      // Waiting deployments end at once; a running one is aborted by the worker running it.
      const ended = await deployments.endWaiting(id, 'cancelled', {
        error: `cancelled by ${request.principal?.name ?? 'api'}`,
      });
      if (!ended) await redis.publish(keys.cancelChannel(), id);
      const updated = ended ?? (await store.requireDeployment(id));
      return reply.status(202).send(await deploymentView(deployments, updated));
    },
  );
};

export default routes;
