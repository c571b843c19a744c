import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type, type Static } from '@sinclair/typebox';
import {
  DEFAULT_NAME_PATTERN,
  namePatternProblem,
  reviewEnvironmentName,
  type ReviewTemplate,
} from '../../core/review-templates';
import { newEnvironment } from '../environment-spec';
import { BadRequestError } from '../errors';
import { errorResponses } from '../schemas/common';
import {
  CreateReviewTemplateBody,
  ReplaceReviewTemplateBody,
  ReviewTemplateView,
  TemplateNameParams,
} from '../schemas/review-template';

type Fields = Static<typeof ReplaceReviewTemplateBody>;

/**
 * Builds the record and checks it exactly as POST /v1/environments checks an environment, with
 * the longest repository name GitHub allows: a template that could not make an environment is
 * refused now, not when a pull request opens.
 */
function templateRecord(name: string, fields: Fields, createdAt: string): ReviewTemplate {
  const namePattern = fields.namePattern ?? DEFAULT_NAME_PATTERN;
  const problem = namePatternProblem(namePattern);
  if (problem) throw new BadRequestError(problem);
  let sample: string;
  try {
    sample = reviewEnvironmentName(namePattern, `${'o'.repeat(39)}/${'r'.repeat(100)}`, 99999);
  } catch (error) {
    throw new BadRequestError(`body.namePattern: ${(error as Error).message}`);
  }
  // A template has no drift schedule, so no minimum interval applies.
  newEnvironment(
    {
      name: sample,
      ...(fields.blueprint !== undefined ? { blueprint: fields.blueprint } : {}),
      ...(fields.layers ? { layers: fields.layers } : {}),
      ...(fields.config ? { config: fields.config } : {}),
      ...(fields.stage ? { stage: fields.stage } : {}),
      ...(fields.ttl ? { ttl: fields.ttl } : {}),
    },
    0,
  );
  return {
    name,
    repository: fields.repository,
    ...(fields.blueprint !== undefined ? { blueprint: fields.blueprint } : {}),
    ...(fields.layers ? { layers: fields.layers } : {}),
    ...(fields.config ? { config: fields.config } : {}),
    ...(fields.stage ? { stage: fields.stage } : {}),
    ...(fields.ttl ? { ttl: fields.ttl } : {}),
    namePattern,
    ...(fields.label ? { label: fields.label } : {}),
    allowForks: fields.allowForks ?? false,
    createdAt,
    updatedAt: new Date().toISOString(),
  };
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  const { reviewTemplates } = app.strata;

  app.get(
    '/v1/review-templates',
    {
      onRequest: app.authorize('read'),
      schema: {
        response: {
          200: Type.Object({ templates: Type.Array(ReviewTemplateView) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ templates: await reviewTemplates.list() }),
  );

  app.get(
    '/v1/review-templates/:name',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: TemplateNameParams,
        response: { 200: ReviewTemplateView, ...errorResponses },
      },
    },
    async (request) => reviewTemplates.require(request.params.name),
  );

  app.post(
    '/v1/review-templates',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        body: CreateReviewTemplateBody,
        response: { 201: ReviewTemplateView, ...errorResponses },
      },
    },
    async (request, reply) => {
      const { name, ...fields } = request.body;
      const template = templateRecord(name, fields, new Date().toISOString());
      await reviewTemplates.create(template);
      return reply.status(201).send(template);
    },
  );

  app.put(
    '/v1/review-templates/:name',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        params: TemplateNameParams,
        body: ReplaceReviewTemplateBody,
        response: { 200: ReviewTemplateView, ...errorResponses },
      },
    },
    async (request) => {
      const before = await reviewTemplates.require(request.params.name);
      const template = templateRecord(before.name, request.body, before.createdAt);
      await reviewTemplates.replace(template);
      return template;
    },
  );

  app.delete(
    '/v1/review-templates/:name',
    {
      onRequest: app.authorize('deploy'),
      schema: {
        params: TemplateNameParams,
        response: { 200: ReviewTemplateView, ...errorResponses },
      },
    },
    async (request) => {
      const template = await reviewTemplates.require(request.params.name);
      await reviewTemplates.delete(template.name);
      return template;
    },
  );
};

export default routes;
