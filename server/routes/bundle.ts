import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { renderEnv } from '../../core/bundle';
import { environmentLayers } from '../../core/deployment-lifecycle';
import type { LayerName } from '../../core/domain';
import { NotFoundError } from '../../core/errors';
import { BadRequestError } from '../errors';
import { errorResponses, NameParams, StringEnum } from '../schemas/common';
import { Layer } from '../schemas/environment';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store } = app.strata;

  app.get(
    '/v1/environments/:name/env',
    {
      onRequest: app.authorize('secrets:read'),
      schema: {
        params: NameParams,
        querystring: Type.Object(
          {
            layer: Type.Optional(Layer),
            format: Type.Optional(StringEnum(['env', 'json'] as const)),
          },
          { additionalProperties: false },
        ),
        response: {
          200: {
            description: 'the bundle: a `.env` file, or with `?format=json` a JSON object',
            content: {
              'text/plain': { schema: Type.String() },
              'application/json': { schema: Type.Record(Type.String(), Type.String()) },
            },
          },
          ...errorResponses,
        },
      },
    },
    async (request, reply) => {
      // One read from Redis: this route never waits on anything else.
      const { env, bundle } = await store.requireEnvironmentAndBundle(request.params.name);
      const present = environmentLayers(env);
      const { layer, format } = request.query;
      if (layer && !present.includes(layer as LayerName)) {
        throw new BadRequestError(
          `layer "${layer}" is not in environment "${env.name}" (it has ${present.join(', ')})`,
        );
      }
      if (!bundle || bundle.entries.length === 0) {
        throw new NotFoundError(
          `environment "${env.name}" has no outputs yet: its first up has not succeeded`,
        );
      }
      const layers = layer ? [layer as LayerName] : present;
      request.logNote = {
        message: 'bundle downloaded',
        fields: { environment: env.name, layers },
      };
      reply.header('cache-control', 'no-store');
      if (format === 'json') {
        return Object.fromEntries(
          bundle.entries.filter((e) => layers.includes(e.layer)).map((e) => [e.key, e.value]),
        );
      }
      return reply
        .type('text/plain; charset=utf-8')
        .header('content-disposition', `attachment; filename="${env.name}.env"`)
        .send(renderEnv(bundle, layers));
    },
  );
};

export default routes;
