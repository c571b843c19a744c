import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { SCOPES } from '../plugins/auth';
import { errorResponses, StringEnum } from '../schemas/common';

const routes: FastifyPluginAsyncTypebox = async (app) => {
  // Lets the dashboard and the CLI say who is signed in and offer only what the token may do.
  app.get(
    '/v1/me',
    {
      onRequest: app.authorize('read'),
      schema: {
        response: {
          200: Type.Object({ name: Type.String(), scopes: Type.Array(StringEnum(SCOPES)) }),
          ...errorResponses,
        },
      },
    },
    async (request) => ({
      name: request.principal?.name ?? '',
      scopes: request.principal?.scopes ?? [],
    }),
  );
};

export default routes;
