import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { openapiPath } from '../../server/plugins/openapi';
import { startHarness, type Harness } from '../helpers/harness';

interface Operation {
  parameters?: { name: string; in: string; schema?: unknown }[];
  requestBody?: { content: Record<string, { schema?: unknown; examples?: unknown }> };
  responses: Record<string, { content?: Record<string, { schema?: unknown }> }>;
  security?: Record<string, string[]>[];
  'x-required-scope'?: string;
}

interface Document {
  openapi: string;
  paths: Record<string, Record<string, Operation>>;
  components: { securitySchemes: Record<string, { type: string; scheme: string }> };
}

describe('OpenAPI document', () => {
  let h: Harness;
  let doc: Document;
  before(async () => {
    h = await startHarness({ worker: false });
    // No token needed.
    const response = await fetch(`${h.url}/openapi.json`);
    assert.equal(response.status, 200);
    doc = (await response.json()) as Document;
  });
  after(async () => {
    await h.close();
  });

  it('is OpenAPI 3.1 with the bearer scheme', () => {
    assert.equal(doc.openapi, '3.1.0');
    assert.equal(doc.components.securitySchemes.bearer?.type, 'http');
    assert.equal(doc.components.securitySchemes.bearer?.scheme, 'bearer');
  });

  it('lists every route with its parameters, body, responses and scope', () => {
    const routes = h.app.documentedRoutes.filter((r) => !r.hidden);
    assert.ok(routes.length >= 20, `only ${routes.length} routes documented`);
    for (const route of routes) {
      const where = `${route.method} ${route.url}`;
      const operation = doc.paths[openapiPath(route.url)]?.[route.method.toLowerCase()];
      assert.ok(operation, `${where} is missing from the document`);
      const names = (kind: string) =>
        (operation.parameters ?? []).filter((p) => p.in === kind).map((p) => p.name);
      for (const param of route.url.match(/:([A-Za-z0-9_]+)/g) ?? []) {
        assert.ok(names('path').includes(param.slice(1)), `${where}: path parameter ${param}`);
      }
      if (route.hasQuery) assert.ok(names('query').length > 0, `${where}: query parameters`);
      for (const p of operation.parameters ?? []) assert.ok(p.schema, `${where}: ${p.name} schema`);
      if (route.hasBody) {
        assert.ok(
          operation.requestBody?.content['application/json']?.schema,
          `${where}: request body schema`,
        );
      }
      const success = Object.keys(operation.responses).filter((code) => /^2/.test(code));
      assert.ok(success.length > 0, `${where}: no success response`);
      for (const [code, response] of Object.entries(operation.responses)) {
        const media = Object.values(response.content ?? {});
        assert.ok(media.length > 0 && media.every((m) => m.schema), `${where}: ${code} schema`);
      }
      if (route.scope) {
        assert.deepEqual(operation.security, [{ bearer: [route.scope] }], where);
        assert.equal(operation['x-required-scope'], route.scope, where);
      } else {
        assert.equal(operation.security, undefined, `${where} needs no token`);
      }
    }
  });

  it('documents scopes, content types and examples the way clients use them', () => {
    const env = doc.paths['/v1/environments/{name}/env']?.get;
    assert.equal(env?.['x-required-scope'], 'secrets:read');
    assert.deepEqual(Object.keys(env?.responses['200']?.content ?? {}).sort(), [
      'application/json',
      'text/plain',
    ]);
    const events = doc.paths['/v1/deployments/{id}/events']?.get;
    assert.ok(events?.responses['200']?.content?.['text/event-stream']);
    const create = doc.paths['/v1/environments']?.post;
    assert.equal(create?.['x-required-scope'], 'deploy');
    const examples = create?.requestBody?.content['application/json']?.examples as
      Record<string, { value: { name: string } }> | undefined;
    assert.equal(examples?.readme?.value.name, 'pr-142');
    assert.ok(doc.paths['/healthz']?.get);
    assert.equal(doc.paths['/openapi.json'], undefined);
  });

  it('the README example body is one the API accepts', async () => {
    const create = doc.paths['/v1/environments']?.post;
    const examples = create?.requestBody?.content['application/json']?.examples as Record<
      string,
      { value: Record<string, unknown> }
    >;
    const body = { ...examples.readme?.value, name: `oa-${Date.now().toString(36)}` };
    const response = await h.api('/v1/environments', { method: 'POST', json: body });
    assert.equal(response.status, 202, await response.clone().text());
    const { deployment } = (await response.json()) as { deployment: { id: string } };
    const cancel = await h.api(`/v1/deployments/${deployment.id}/cancel`, { method: 'POST' });
    assert.equal(cancel.status, 202);
    await h.app.strata.store.deleteEnvironment(body.name);
  });

  it('serves an API reference page at /docs without a token', async () => {
    const page = await fetch(`${h.url}/docs`);
    assert.equal(page.status, 200);
    assert.match(page.headers.get('content-type') ?? '', /text\/html/);
    assert.match(await page.text(), /swagger/i);
  });
});
