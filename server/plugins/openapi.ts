import swagger from '@fastify/swagger';
import swaggerUi from '@fastify/swagger-ui';
import fp from 'fastify-plugin';
import { scopeOf, type Scope } from './auth';

/** A route as the OpenAPI document should list it. */
export interface DocumentedRoute {
  method: string;
  url: string;
  scope?: Scope;
  hidden: boolean;
  hasBody: boolean;
  hasParams: boolean;
  hasQuery: boolean;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route registered after this plugin, for the OpenAPI document and its tests. */
    documentedRoutes: DocumentedRoute[];
  }
}

const SCOPE_HELP: Record<Scope, string> = {
  read: 'Needs a token with the `read` scope (or `admin`).',
  deploy: 'Needs a token with the `deploy` scope (or `admin`).',
  'secrets:read': 'Needs a token with the `secrets:read` scope (or `admin`).',
  admin: 'Needs an `admin` token.',
};

/** Request bodies taken from README's examples, by "METHOD /path" in OpenAPI form. */
const BODY_EXAMPLES: Record<string, Record<string, unknown>> = {
  'post /v1/environments': {
    name: 'pr-142',
    stage: 'dev',
    layers: { data: { target: 'local' }, storage: { target: 'local' } },
  },
  'post /v1/environments/{name}/deployments': { operation: 'preview', layers: ['data'] },
  'patch /v1/environments/{name}': { ttl: '8h' },
};

/** Example values of path and query parameters, by parameter name. */
const PARAMETER_EXAMPLES: Record<string, Record<string, string>> = {
  '/v1/blueprints/{name}': { name: 'auterity-aws' },
  '/v1/blueprints/{name}/plan': { name: 'auterity-aws', stage: 'prod' },
  '*': { name: 'pr-142', layer: 'data', format: 'env' },
};

interface OperationObject {
  description?: string;
  summary?: string;
  security?: Record<string, string[]>[];
  parameters?: { name: string; in: string; example?: unknown }[];
  requestBody?: { content?: Record<string, { examples?: Record<string, { value: unknown }> }> };
  'x-required-scope'?: Scope;
  [key: string]: unknown;
}

const METHODS = ['get', 'put', 'post', 'delete', 'patch', 'head', 'options'];

/** Fastify's `/v1/environments/:name` is OpenAPI's `/v1/environments/{name}`. */
export function openapiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

/**
 * `GET /openapi.json`: the OpenAPI 3.1 document generated from every route's TypeBox schema,
 * with the bearer scheme and the scope each route needs; `GET /docs`: a reference page.
 * Register it before the routes: it learns them as they are added.
 */
export default fp(
  async (app) => {
    const routes: DocumentedRoute[] = [];
    app.decorate('documentedRoutes', routes);
    app.addHook('onRoute', (route) => {
      const methods = Array.isArray(route.method) ? route.method : [route.method];
      const schema = route.schema as Record<string, unknown> | undefined;
      for (const method of methods) {
        if (method === 'HEAD') continue;
        routes.push({
          method,
          url: route.url,
          scope: scopeOf(route.onRequest),
          hidden: schema?.hide === true,
          hasBody: schema?.body !== undefined,
          hasParams: schema?.params !== undefined,
          hasQuery: schema?.querystring !== undefined,
        });
      }
    });

    const scopes = (): Map<string, Scope> =>
      new Map(
        routes
          .filter((r) => r.scope)
          .map((r) => [`${r.method.toLowerCase()} ${openapiPath(r.url)}`, r.scope as Scope]),
      );

    await app.register(swagger, {
      openapi: {
        openapi: '3.1.0',
        info: {
          title: 'Strata',
          version: '1',
          description:
            'Self-hosted environment provisioning: ordered layers of Pulumi stacks behind an HTTP API. ' +
            'Send `Authorization: Bearer <token>`; each operation says which scope it needs. ' +
            'Errors are `{ statusCode, error, message }`.',
        },
        components: {
          securitySchemes: {
            bearer: {
              type: 'http',
              scheme: 'bearer',
              description:
                'A token from STRATA_API_TOKEN or STRATA_TOKENS_FILE; scopes: read, deploy, secrets:read, admin',
            },
          },
        },
      },
      transformObject: (documents) => {
        if (!('openapiObject' in documents)) return documents.swaggerObject;
        const document = documents.openapiObject;
        const needed = scopes();
        for (const [path, item] of Object.entries(document.paths ?? {})) {
          const pathItem = item as Record<string, OperationObject>;
          for (const method of METHODS) {
            const operation = pathItem[method];
            if (!operation) continue;
            const scope = needed.get(`${method} ${path}`);
            if (scope) {
              operation.security = [{ bearer: [scope] }];
              operation['x-required-scope'] = scope;
              operation.description = [operation.description, SCOPE_HELP[scope]]
                .filter(Boolean)
                .join('\n\n');
            }
            const examples = { ...PARAMETER_EXAMPLES['*'], ...PARAMETER_EXAMPLES[path] };
            for (const parameter of operation.parameters ?? []) {
              const example = examples[parameter.name];
              if (example !== undefined) parameter.example = example;
            }
            const body = BODY_EXAMPLES[`${method} ${path}`];
            const json = operation.requestBody?.content?.['application/json'];
            if (body && json) json.examples = { readme: { value: body } };
          }
        }
        return document;
      },
    });
    await app.register(swaggerUi, {
      routePrefix: '/docs',
      uiConfig: { docExpansion: 'list', deepLinking: true, persistAuthorization: false },
    });
    app.get('/openapi.json', { schema: { hide: true } }, async () => app.swagger());
  },
  { name: 'strata-openapi', dependencies: ['strata-auth'] },
);
