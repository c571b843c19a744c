import { createHmac } from 'node:crypto';
import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { DeploymentRecord, Trigger } from '../../core/domain';
import { safeEqual } from '../../core/crypto';
import { ConflictError, NotFoundError } from '../../core/errors';
import { BadRequestError, ServiceUnavailableError, UnauthorizedError } from '../errors';
import { ErrorResponse } from '../schemas/common';
import { DeploymentView } from '../schemas/deployment';
import { ReviewEnvironments, type PullRequest, type PullRequestPayload } from '../review-intake';
import { deploymentView } from '../views';

/** GitHub lets a delivery be redelivered for a few days; remember ids a week. */
const DELIVERY_MEMORY_SECONDS = 7 * 24 * 3600;

const IntakeResult = Type.Object({
  message: Type.String(),
  deployments: Type.Array(DeploymentView),
});

const intakeErrors = {
  400: ErrorResponse,
  401: ErrorResponse,
  404: ErrorResponse,
  // Past STRATA_RATE_LIMIT_INTAKE requests a minute from one address.
  429: ErrorResponse,
  503: ErrorResponse,
};

interface PushPayload {
  ref?: string;
  after?: string;
  deleted?: boolean;
  repository?: { full_name?: string };
  pusher?: { name?: string };
}

/** GitHub sends JSON, or `payload=<json>` when the hook is set to form encoding. */
function parsePayload<T>(raw: Buffer, contentType: string | undefined): T {
  const text = raw.toString('utf8');
  try {
    if (contentType?.startsWith('application/x-www-form-urlencoded')) {
      return JSON.parse(new URLSearchParams(text).get('payload') ?? '') as T;
    }
    return JSON.parse(text) as T;
  } catch {
    throw new BadRequestError(
      'the payload is not JSON: set the webhook content type to application/json',
    );
  }
}

/** The pull request a delivery is about; a 400 for a payload that is not one. */
function pullRequestOf(payload: PullRequestPayload): PullRequest {
  const repository = payload.repository?.full_name;
  const number = payload.number ?? payload.pull_request?.number;
  if (
    typeof repository !== 'string' ||
    !Number.isSafeInteger(number) ||
    typeof payload.action !== 'string'
  ) {
    throw new BadRequestError(
      'pull_request payload without repository.full_name, number or action',
    );
  }
  const pr = payload.pull_request;
  // A deleted fork has no head repository: still a fork.
  const head = pr?.head?.repo?.full_name;
  const base = pr?.base?.repo?.full_name ?? repository;
  return {
    repository,
    number: number as number,
    action: payload.action,
    ...(typeof pr?.head?.sha === 'string' ? { headSha: pr.head.sha } : {}),
    ...(typeof pr?.head?.ref === 'string' ? { headRef: pr.head.ref } : {}),
    fromFork: typeof head !== 'string' || head.toLowerCase() !== base.toLowerCase(),
    labels: (pr?.labels ?? []).flatMap((l) => (typeof l.name === 'string' ? [l.name] : [])),
    ...(typeof payload.label?.name === 'string' ? { label: payload.label.name } : {}),
    ...(typeof payload.sender?.login === 'string' ? { sender: payload.sender.login } : {}),
  };
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { store, lifecycle, redis, settings, keys } = app.strata;
  const reviews = new ReviewEnvironments(app.strata);

  // Signatures cover the exact bytes sent, so this plugin (and only it) keeps bodies raw.
  app.removeAllContentTypeParsers();
  app.addContentTypeParser('*', { parseAs: 'buffer' }, (_request, body, done) => done(null, body));

  const redeploy = async (names: string[], trigger: Trigger): Promise<DeploymentRecord[]> => {
    const queued: DeploymentRecord[] = [];
    for (const name of names) {
      const env = await store.getEnvironment(name);
      if (!env || env.status === 'destroying') continue;
      const deployment = newDeployment(env, 'up', trigger);
      await lifecycle.enqueue(deployment);
      queued.push(deployment);
    }
    return queued;
  };

  app.post(
    '/v1/webhooks/github',
    {
      config: { intake: true },
      schema: { response: { 200: IntakeResult, 202: IntakeResult, ...intakeErrors } },
    },
    async (request, reply) => {
      const secret = settings.githubWebhookSecret;
      if (!secret) {
        throw new ServiceUnavailableError(
          'GitHub intake is off: set GITHUB_WEBHOOK_SECRET on the API to turn it on',
        );
      }
      const raw = Buffer.isBuffer(request.body) ? request.body : Buffer.alloc(0);
      const signature = request.headers['x-hub-signature-256'];
      if (typeof signature !== 'string') {
        throw new UnauthorizedError(
          'missing X-Hub-Signature-256: give the webhook the secret set in GITHUB_WEBHOOK_SECRET',
        );
      }
      const expected = `sha256=${createHmac('sha256', secret).update(raw).digest('hex')}`;
      if (!safeEqual(signature, expected)) {
        throw new UnauthorizedError(
          'X-Hub-Signature-256 does not match the payload and GITHUB_WEBHOOK_SECRET',
        );
      }
      const event = String(request.headers['x-github-event'] ?? '');
      const delivery = request.headers['x-github-delivery'];
      if (typeof delivery !== 'string' || delivery === '') {
        throw new BadRequestError('missing X-GitHub-Delivery header');
      }
      const first = await redis.set(
        keys.githubDelivery(delivery),
        event,
        'EX',
        DELIVERY_MEMORY_SECONDS,
        'NX',
      );
      if (first !== 'OK') {
        return reply
          .status(200)
          .send({ message: `delivery ${delivery} was already handled`, deployments: [] });
      }
      try {
        if (event === 'ping')
          return { message: 'pong: the webhook reaches Strata', deployments: [] };
        if (event === 'pull_request') {
          const pr = pullRequestOf(
            parsePayload<PullRequestPayload>(raw, request.headers['content-type']),
          );
          const outcomes = await reviews.handle(pr);
          const queued = outcomes.flatMap((o) => (o.deployment ? [o.deployment] : []));
          request.log.info(
            {
              delivery,
              pullRequest: `${pr.repository}#${pr.number}`,
              action: pr.action,
              deployments: queued.map((d) => d.id),
            },
            'pull request event',
          );
          return reply.status(queued.length > 0 ? 202 : 200).send({
            message:
              outcomes.map((o) => o.message).join('; ') ||
              `no review template follows ${pr.repository}`,
            deployments: await Promise.all(queued.map((d) => deploymentView(lifecycle, d))),
          });
        }
        if (event !== 'push')
          return {
            message: `ignored a ${event || 'untyped'} event: only push and pull_request act`,
            deployments: [],
          };
        const payload = parsePayload<PushPayload>(raw, request.headers['content-type']);
        const repository = payload.repository?.full_name;
        if (!repository || !payload.ref)
          throw new BadRequestError('push payload without repository.full_name or ref');
        if (!payload.ref.startsWith('refs/heads/')) {
          return {
            message: `ignored ${payload.ref}: only branch pushes redeploy`,
            deployments: [],
          };
        }
        const branch = payload.ref.slice('refs/heads/'.length);
        if (payload.deleted)
          return { message: `branch ${branch} was deleted: nothing to redeploy`, deployments: [] };
        const names = await store.environmentsForSource(repository, branch);
        if (names.length === 0) {
          return { message: `no environment follows ${repository}@${branch}`, deployments: [] };
        }
        const queued = await redeploy(names, {
          kind: 'webhook',
          repository,
          branch,
          ...(payload.after ? { commit: payload.after } : {}),
          ...(payload.pusher?.name ? { actor: payload.pusher.name } : {}),
        });
        request.log.info(
          { delivery, repository, branch, deployments: queued.map((d) => d.id) },
          'push redeploys',
        );
        return reply.status(202).send({
          message: `redeploying ${queued.map((d) => d.environment).join(', ')} at ${payload.after ?? branch}`,
          deployments: await Promise.all(queued.map((d) => deploymentView(lifecycle, d))),
        });
      } catch (error) {
        // Not handled after all: let GitHub's redelivery try again.
        await redis.del(keys.githubDelivery(delivery));
        throw error;
      }
    },
  );

  app.post(
    '/v1/hooks/:token',
    {
      config: { intake: true },
      schema: {
        params: Type.Object({ token: Type.String() }),
        response: { 202: DeploymentView, ...intakeErrors },
      },
    },
    async (request, reply) => {
      const name = await store.environmentForHook(request.params.token);
      // One answer for a wrong token and a gone environment: the URL reveals nothing.
      const unknown = new NotFoundError('unknown deploy hook');
      const env = name ? await store.getEnvironment(name) : undefined;
      if (!env) throw unknown;
      // The caller holds the secret URL, so saying why nothing was queued reveals nothing.
      if (env.status === 'destroying')
        throw new ConflictError(`environment "${env.name}" is being destroyed`);
      const [deployment] = await redeploy([env.name], { kind: 'hook' });
      if (!deployment) throw unknown;
      return reply.status(202).send(await deploymentView(lifecycle, deployment));
    },
  );
};

export default routes;
