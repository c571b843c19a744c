import { Type } from '@sinclair/typebox';
import { LAYERS } from '../../core/domain';
import { EnvironmentName, FreeObject } from './common';
import { Duration, Stage, Target } from './environment';

const LayerRequest = Type.Object(
  { target: Target, config: Type.Optional(FreeObject) },
  { additionalProperties: false },
);

const templateFields = {
  repository: Type.String({
    maxLength: 140,
    pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$',
    description: 'the GitHub repository whose pull requests get environments, as owner/name',
  }),
  blueprint: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
  layers: Type.Optional(
    Type.Object(Object.fromEntries(LAYERS.map((l) => [l, Type.Optional(LayerRequest)])), {
      additionalProperties: false,
    }),
  ),
  config: Type.Optional(FreeObject),
  stage: Type.Optional(Stage),
  ttl: Type.Optional(Duration),
  namePattern: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 60,
      pattern: '^[a-z0-9{}-]+$',
      description:
        'environment name with {repo}, {owner} and {number} replaced (default {repo}-pr-{number}); long names are cut and hashed to stay valid',
    }),
  ),
  label: Type.Optional(
    Type.String({
      minLength: 1,
      maxLength: 50,
      description: 'only pull requests with this label get an environment',
    }),
  ),
  allowForks: Type.Optional(
    Type.Boolean({
      description: "give pull requests from forks an environment too (runs the fork's code)",
    }),
  ),
};

export const TemplateNameParams = Type.Object({ name: EnvironmentName });

export const CreateReviewTemplateBody = Type.Object(
  { name: EnvironmentName, ...templateFields },
  { additionalProperties: false },
);

export const ReplaceReviewTemplateBody = Type.Object(templateFields, {
  additionalProperties: false,
});

export const ReviewTemplateView = Type.Object({
  name: Type.String(),
  repository: Type.String(),
  blueprint: Type.Optional(Type.String()),
  layers: Type.Optional(
    Type.Record(
      Type.String(),
      Type.Object({ target: Type.String(), config: Type.Optional(FreeObject) }),
    ),
  ),
  config: Type.Optional(FreeObject),
  stage: Type.Optional(Type.String()),
  ttl: Type.Optional(Type.String()),
  namePattern: Type.String(),
  label: Type.Optional(Type.String()),
  allowForks: Type.Boolean(),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});
