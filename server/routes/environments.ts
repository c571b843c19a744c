import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { environmentLayers, newDeployment } from '../../core/deployments';
import type { LayerName, Trigger } from '../../core/domain';
import { ConflictError } from '../../core/store';
import { BadRequestError } from '../errors';
import { newEnvironment } from '../environment-spec';
import { errorResponses, NameParams } from '../schemas/common';
import { DeploymentRequestBody, DeploymentView } from '../schemas/deployment';
import {
  CreateEnvironmentBody,
  CreateEnvironmentResponse,
  EnvironmentView,
} from '../schemas/environment';
import { deploymentView, environmentView } from '../views';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, deployments } = app.strata;
  const apiTrigger = (actor: string | undefined): Trigger => ({
    kind: 'api',
    ...(actor ? { actor } : {}),
  });

  app.post(
    '/v1/environments',
    {
      preHandler: app.authorize('deploy'),
      schema: {
        body: CreateEnvironmentBody,
        response: { 202: CreateEnvironmentResponse, ...errorResponses },
      },
    },
    async (request, reply) => {
      const env = newEnvironment(request.body);
      const deployment = newDeployment(env, 'up', apiTrigger(request.principal?.name));
      await store.createEnvironment(env, deployment);
      let hook: string;
      try {
        hook = await store.rotateHook(env.name);
        await deployments.enqueue(deployment, { recorded: true });
      } catch (error) {
        // Nothing half-created: without a queued deployment the environment is not kept.
        await store.deleteEnvironment(env.name);
        throw error;
      }
      const base = `${request.protocol}://${request.host}`;
      return reply.status(202).send({
        environment: environmentView(env),
        deployment: deploymentView(deployment, await deployments.queuePosition(deployment)),
        deployHook: `${base}/v1/hooks/${hook}`,
      });
    },
  );

  app.get(
    '/v1/environments',
    {
      preHandler: app.authorize('read'),
      schema: {
        response: {
          200: Type.Object({ environments: Type.Array(EnvironmentView) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ environments: (await store.listEnvironments()).map(environmentView) }),
  );

  app.get(
    '/v1/environments/:name',
    {
      preHandler: app.authorize('read'),
      schema: { params: NameParams, response: { 200: EnvironmentView, ...errorResponses } },
    },
    async (request) => environmentView(await store.requireEnvironment(request.params.name)),
  );

  app.delete(
    '/v1/environments/:name',
    {
      preHandler: app.authorize('deploy'),
      schema: { params: NameParams, response: { 202: DeploymentView, ...errorResponses } },
    },
    async (request, reply) => {
      const env = await store.requireEnvironment(request.params.name);
      const deployment = newDeployment(env, 'destroy', apiTrigger(request.principal?.name), {
        forget: true,
      });
      await deployments.enqueue(deployment);
      return reply
        .status(202)
        .send(deploymentView(deployment, await deployments.queuePosition(deployment)));
    },
  );

  app.get(
    '/v1/environments/:name/deployments',
    {
      preHandler: app.authorize('read'),
      schema: {
        params: NameParams,
        response: {
          200: Type.Object({ deployments: Type.Array(DeploymentView) }),
          ...errorResponses,
        },
      },
    },
    async (request) => {
      await store.requireEnvironment(request.params.name);
      const list = await store.listDeployments(request.params.name);
      const views = await Promise.all(
        list.map(async (d) => deploymentView(d, await deployments.queuePosition(d))),
      );
      return { deployments: views };
    },
  );

  app.post(
    '/v1/environments/:name/deployments',
    {
      preHandler: app.authorize('deploy'),
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
      if (env.status === 'destroying') {
        throw new ConflictError(`environment "${env.name}" is being destroyed`);
      }
      const deployment = newDeployment(
        env,
        request.body.operation,
        apiTrigger(request.principal?.name),
        { layers },
      );
      await deployments.enqueue(deployment);
      return reply
        .status(202)
        .send(deploymentView(deployment, await deployments.queuePosition(deployment)));
    },
  );
};

export default routes;
