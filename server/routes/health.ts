import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { checkBackend } from '../../core/backend-check';
import { ErrorResponse } from '../schemas/common';

const run = promisify(execFile);

let knownVersion: string | undefined;

/** `pulumi version` (asked once per process once it answers), or why it cannot be run. */
async function pulumiVersion(): Promise<{ version?: string; problem?: string }> {
  if (knownVersion) return { version: knownVersion };
  try {
    const { stdout } = await run('pulumi', ['version'], { timeout: 10_000 });
    knownVersion = stdout.trim();
    return { version: knownVersion };
  } catch (error) {
    return { problem: `the pulumi CLI cannot be run: ${(error as Error).message.split('\n')[0]}` };
  }
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  app.get(
    '/healthz',
    { schema: { response: { 200: Type.Object({ status: Type.Literal('ok') }) } } },
    async () => ({ status: 'ok' as const }),
  );

  app.get(
    '/readyz',
    {
      schema: {
        response: {
          200: Type.Object({ status: Type.Literal('ready'), pulumi: Type.String() }),
          503: ErrorResponse,
        },
      },
    },
    async (_request, reply) => {
      const problems: string[] = [];
      const refusal = app.strataRefusal();
      if (refusal) problems.push(refusal);
      try {
        await app.strata.redis.ping();
      } catch (error) {
        problems.push(`redis is not reachable: ${(error as Error).message}`);
      }
      const pulumi = await pulumiVersion();
      if (pulumi.problem) problems.push(pulumi.problem);
      else {
        const { settings } = app.strata;
        const backend = await checkBackend(settings.backendUrl, {
          PULUMI_CONFIG_PASSPHRASE: settings.passphrase,
        });
        if (backend.problem) problems.push(backend.problem);
      }
      if (problems.length > 0) {
        return reply
          .status(503)
          .send({ statusCode: 503, error: 'Service Unavailable', message: problems.join('; ') });
      }
      return { status: 'ready' as const, pulumi: pulumi.version ?? '' };
    },
  );
};

export default routes;
