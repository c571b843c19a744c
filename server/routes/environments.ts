import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { environmentLayers, newDeployment } from '../../core/deployment-lifecycle';
import type { LayerName, Trigger } from '../../core/domain';
import { ConflictError } from '../../core/errors';
import { BadRequestError } from '../errors';
import { expiryAfter } from '../../core/maintenance';
import { newEnvironment, validateDriftSchedule, withConfigChange } from '../environment-spec';
import { queueFirstDeployment } from '../first-deployment';
import { errorResponses, NameParams } from '../schemas/common';
import { DeploymentRequestBody, DeploymentView } from '../schemas/deployment';
import {
  PatchEnvironmentBody,
  CreateEnvironmentBody,
  CreateEnvironmentResponse,
  EnvironmentListQuery,
  EnvironmentView,
  matchesListQuery,
} from '../schemas/environment';
import { nextCursor, NextCursor, PageQuery, pageRequest } from '../pagination';
import { deploymentView, environmentView } from '../views';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, lifecycle, maintenance, settings } = app.strata;
  const apiTrigger = (actor: string | undefined): Trigger => ({
    kind: 'api',
    ...(actor ? { actor } : {}),
  });

  app.post(
    '/v1/environments',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        body: CreateEnvironmentBody,
        response: { 202: CreateEnvironmentResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const env = newEnvironment(request.body, settings.driftMinIntervalMs);
      const deployment = newDeployment(env, 'up', apiTrigger(request.principal?.name));
      await store.createEnvironment(env);
      const hook = await queueFirstDeployment(app.strata, env, deployment, () =>
        store.rotateHook(env.name),
      );
      const base = `${request.protocol}://${request.host}`;
      return reply.status(202).send({
        environment: environmentView(env),
        deployment: await deploymentView(lifecycle, deployment),
        deployHook: `${base}/v1/hooks/${hook}`,
      });
    },
  );

  app.get(
    '/v1/environments',
    {
      onRequest: app.authorize('read'),
      schema: {
        querystring: Type.Object({ ...PageQuery.properties, ...EnvironmentListQuery.properties }),
        response: {
          200: Type.Object({ environments: Type.Array(EnvironmentView), nextCursor: NextCursor }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      if (request.query.reviewOf !== undefined) {
        // A pull request has one review environment per template that follows its repository:
        // a handful, all on one page.
        const matches = (await store.listEnvironments()).filter(matchesListQuery(request.query));
        return { environments: matches.map(environmentView), nextCursor: null };
      }
      const { limit, after } = pageRequest(request.query);
      const page = await store.pageEnvironments(limit, after);
      return { environments: page.items.map(environmentView), nextCursor: nextCursor(page) };
    },
  );

  app.get(
    '/v1/environments/:name',
    {
      onRequest: app.authorize('read'),
      schema: { params: NameParams, response: { 200: EnvironmentView, ...errorResponses } },
    },
    async (request) => environmentView(await store.requireEnvironment(request.params.name)),
  );

  app.patch(
    '/v1/environments/:name',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        params: NameParams,
        body: PatchEnvironmentBody,
        response: { 200: EnvironmentView, ...errorResponses },
      },
    },
    async (request) => {
      const { ttl, source, config, drift } = request.body;
      validateDriftSchedule(drift?.schedule, settings.driftMinIntervalMs);
      const before = await store.requireEnvironment(request.params.name);
      // Validate against the current record first, so a bad change is refused before any write.
      if (config) withConfigChange(before, config);
      const env = await store.updateEnvironment(request.params.name, (e) => {
        let next = config ? withConfigChange(e, config) : { ...e };
        if (ttl === null) {
          const { ttl: _ttl, expiresAt: _expiresAt, ...rest } = next;
          next = rest;
        } else if (ttl !== undefined) {
          // A new TTL counts from now: PATCH is how an environment is extended.
          next = { ...next, ttl, expiresAt: expiryAfter({ ttl }, new Date()) };
        }
        if (source === null) {
          const { source: _source, ...rest } = next;
          next = rest;
        } else if (source !== undefined) {
          next = { ...next, source };
        }
        if (drift !== undefined) next = { ...next, driftPolicy: { ...next.driftPolicy, ...drift } };
        return next;
      });
      if (config) {
        // What waits for approval was previewed with the old config: approving it now would
        // approve something else than what is shown.
        for (const id of await app.strata.redis.smembers(
          app.strata.keys.environmentAwaiting(env.name),
        )) {
          await lifecycle.endWaiting(id, 'superseded', {
            error: `the environment's config changed (PATCH by ${request.principal?.name ?? 'api'}) while it waited for approval; deploy again to preview the new config`,
          });
        }
      }
      if (source !== undefined) await store.reindexSource(env.name, before.source, env.source);
      if (ttl !== undefined) await maintenance.scheduleExpiry(env);
      if (drift !== undefined) await maintenance.scheduleDrift(env);
      return environmentView(env);
    },
  );

  app.post(
    '/v1/environments/:name/hooks',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        params: NameParams,
        response: { 201: Type.Object({ deployHook: Type.String() }), ...errorResponses },
      },
    },
    async (request, reply) => {
      const env = await store.requireEnvironment(request.params.name);
      const token = await store.rotateHook(env.name);
      request.log.info(
        { environment: env.name, by: request.principal?.name },
        'deploy hook rotated',
      );
      return reply
        .status(201)
        .send({ deployHook: `${request.protocol}://${request.host}/v1/hooks/${token}` });
    },
  );

  app.delete(
    '/v1/environments/:name',
    {
      onRequest: app.authorize('deploy'),
      schema: { params: NameParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const env = await store.requireEnvironment(request.params.name);
      const deployment = newDeployment(env, 'destroy', apiTrigger(request.principal?.name), {
        forget: true,
      });
      await lifecycle.enqueue(deployment);
      return reply.status(202).send(await deploymentView(lifecycle, deployment));
    },
  );

  app.get(
    '/v1/environments/:name/deployments',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: NameParams,
        querystring: PageQuery,
        response: {
          200: Type.Object({ deployments: Type.Array(DeploymentView), nextCursor: NextCursor }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      const { limit, after } = pageRequest(request.query);
      await store.requireEnvironment(request.params.name);
      const page = await store.pageDeployments(request.params.name, limit, after);
      const views = await Promise.all(page.items.map((d) => deploymentView(lifecycle, d)));
      return { deployments: views, nextCursor: nextCursor(page) };
    },
  );

  app.post(
    '/v1/environments/:name/deployments',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        params: NameParams,
        body: DeploymentRequestBody,
        response: { 202: DeploymentView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const env = await store.requireEnvironment(request.params.name);
      const present = environmentLayers(env);
      const layers = (request.body.layers ?? present) as LayerName[];
      const missing = layers.filter((l) => !present.includes(l));
      if (missing.length > 0) {
        throw new BadRequestError(
          `body.layers: environment "${env.name}" has no ${missing.join(', ')} layer (it has ${present.join(', ')})`,
        );
      }
      const { operation, refresh } = request.body;
      if (refresh !== undefined && operation !== 'up' && operation !== 'preview') {
        throw new BadRequestError(
          `body.refresh: applies to up and preview only; leave it out for ${operation}`,
        );
      }
      if (env.status === 'destroying') {
        throw new ConflictError(`environment "${env.name}" is being destroyed`);
      }
      const deployment = newDeployment(env, operation, apiTrigger(request.principal?.name), {
        layers,
        ...(refresh === false ? { refresh } : {}),
      });
      await lifecycle.enqueue(deployment);
      return reply.status(202).send(await deploymentView(lifecycle, deployment));
    },
  );
};

export default routes;
