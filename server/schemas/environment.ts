import { Type, type Static } from '@sinclair/typebox';
import { LAYERS, STAGES, TARGETS, type EnvironmentRecord } from '../../core/domain';
import { DeploymentView } from './deployment';
import { EnvironmentName, FreeObject, StringEnum } from './common';

export const Stage = StringEnum(STAGES);
export const Target = StringEnum(TARGETS);
export const Layer = StringEnum(LAYERS);

export const Duration = Type.String({
  // Six digits at most (the pattern bounds the length): a longer one would put the expiry past
  // any date a clock can show.
  pattern: '^[1-9][0-9]{0,5}(s|m|h|d)$',
  description: 'a duration such as 90s, 15m, 8h or 7d',
});

export const Source = Type.Object(
  {
    repo: Type.String({
      maxLength: 140,
      pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+$',
      description: 'owner/name',
    }),
    branch: Type.String({ minLength: 1, maxLength: 255 }),
  },
  { additionalProperties: false },
);

const LayerRequest = Type.Object(
  {
    target: Target,
    config: Type.Optional(FreeObject),
  },
  { additionalProperties: false },
);

export const DriftPolicy = Type.Object(
  {
    schedule: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 100,
        description:
          'cron pattern of this environment\'s drift check, or "off"; unset follows STRATA_DRIFT_SCHEDULE',
      }),
    ),
    autoRemediate: Type.Optional(
      Type.Boolean({ description: 'run up when a drift check finds differences' }),
    ),
  },
  { additionalProperties: false },
);

export const CreateEnvironmentBody = Type.Object(
  {
    name: EnvironmentName,
    stage: Type.Optional(Stage),
    blueprint: Type.Optional(Type.String({ minLength: 1, maxLength: 100 })),
    layers: Type.Optional(
      Type.Object(Object.fromEntries(LAYERS.map((l) => [l, Type.Optional(LayerRequest)])), {
        additionalProperties: false,
      }),
    ),
    config: Type.Optional(FreeObject),
    ttl: Type.Optional(Duration),
    requireApproval: Type.Optional(Type.Boolean()),
    source: Type.Optional(Source),
    drift: Type.Optional(DriftPolicy),
  },
  { additionalProperties: false },
);

export const PatchEnvironmentBody = Type.Object(
  {
    ttl: Type.Optional(Type.Union([Duration, Type.Null()])),
    source: Type.Optional(Type.Union([Source, Type.Null()])),
    config: Type.Optional(FreeObject),
    drift: Type.Optional(DriftPolicy),
  },
  { additionalProperties: false, minProperties: 1 },
);

export const LayerView = Type.Object({
  target: Type.String(),
  config: FreeObject,
  status: Type.String(),
  outputs: FreeObject,
  updatedAt: Type.Optional(Type.String()),
  lastDeployment: Type.Optional(Type.String()),
});

export const EnvironmentView = Type.Object({
  name: Type.String(),
  stage: Type.String(),
  blueprint: Type.Optional(Type.String()),
  status: Type.String(),
  drift: Type.Optional(Type.Boolean()),
  requireApproval: Type.Boolean(),
  ttl: Type.Optional(Type.String()),
  expiresAt: Type.Optional(Type.String()),
  source: Type.Optional(Source),
  driftedResources: Type.Optional(
    Type.Array(
      Type.Object({
        layer: Type.String(),
        urn: Type.String(),
        op: Type.String(),
        diffs: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
  driftCheckedAt: Type.Optional(Type.String()),
  reviewOf: Type.Optional(
    Type.String({ description: 'the pull request it previews, as <owner>/<repo>#<number>' }),
  ),
  reviewTemplate: Type.Optional(Type.String()),
  driftPolicy: Type.Optional(DriftPolicy),
  config: FreeObject,
  layers: Type.Record(Type.String(), LayerView),
  createdAt: Type.String(),
  updatedAt: Type.String(),
});

export const CreateEnvironmentResponse = Type.Object({
  environment: EnvironmentView,
  deployment: DeploymentView,
  deployHook: Type.String({
    description: 'secret URL that redeploys the environment; shown only here',
  }),
});

export const EnvironmentListQuery = Type.Object({
  reviewOf: Type.Optional(
    Type.String({
      maxLength: 160,
      pattern: '^[A-Za-z0-9_.-]+/[A-Za-z0-9_.-]+#[0-9]{1,10}$',
      description: 'only the review environment of this pull request, as owner/repo#number',
    }),
  ),
});

/** The filters of GET /v1/environments, applied to each record. */
export const matchesListQuery =
  (query: Static<typeof EnvironmentListQuery>) =>
  (env: EnvironmentRecord): boolean =>
    query.reviewOf === undefined || env.reviewOf === query.reviewOf.toLowerCase();
