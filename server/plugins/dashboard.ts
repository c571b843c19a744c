import fs from 'node:fs';
import path from 'node:path';
import fastifyStatic from '@fastify/static';
import fp from 'fastify-plugin';

/** Where the build puts the dashboard's bundle (scripts/build-web.mjs), next to dist/server. */
export const DASHBOARD_DIR = path.join(__dirname, '..', '..', 'web');

/**
 * `GET /`: the dashboard, a static page that calls the API with the token its user signs in
 * with. The page itself needs no token; it holds no data.
 */
export default fp(
  async (app) => {
    if (!fs.existsSync(path.join(DASHBOARD_DIR, 'index.html'))) {
      app.get('/', { schema: { hide: true } }, async (_request, reply) =>
        reply
          .status(503)
          .type('text/plain; charset=utf-8')
          .send('the dashboard is not built: run `npm run build` (or npm start), then reload'),
      );
      return;
    }
    await app.register(fastifyStatic, {
      root: DASHBOARD_DIR,
      prefix: '/',
      wildcard: false,
      index: 'index.html',
      schemaHide: true,
      setHeaders: (response) => {
        response.header('x-content-type-options', 'nosniff');
        response.header('referrer-policy', 'no-referrer');
        response.header(
          'content-security-policy',
          "default-src 'self'; img-src 'self' data:; style-src 'self'; connect-src 'self'; frame-ancestors 'none'",
        );
      },
    });
  },
  { name: 'strata-dashboard' },
);
