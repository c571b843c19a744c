import { Type } from '@sinclair/typebox';
import { StringEnum } from './common';
import { LAYERS, OPERATIONS } from '../../core/domain';

export const DeploymentRequestBody = Type.Object(
  {
    operation: StringEnum(OPERATIONS),
    layers: Type.Optional(
      Type.Array(Type.Union(LAYERS.map((l) => Type.Literal(l))), {
        minItems: 1,
        uniqueItems: true,
      }),
    ),
    refresh: Type.Optional(
      Type.Boolean({
        description:
          'for up and preview: false skips the refresh the engine runs first (faster; drift is neither seen nor repaired). Default true',
      }),
    ),
  },
  { additionalProperties: false },
);

const LayerRunView = Type.Object({
  status: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
  changes: Type.Optional(Type.Record(Type.String(), Type.Integer())),
  error: Type.Optional(Type.String()),
  drift: Type.Optional(Type.Boolean()),
  driftedResources: Type.Optional(
    Type.Array(
      Type.Object({
        urn: Type.String(),
        op: Type.String(),
        diffs: Type.Optional(Type.Array(Type.String())),
      }),
    ),
  ),
});

export const TriggerView = Type.Object({
  kind: Type.String(),
  actor: Type.Optional(Type.String()),
  repository: Type.Optional(Type.String()),
  branch: Type.Optional(Type.String()),
  commit: Type.Optional(Type.String()),
  pullRequest: Type.Optional(Type.Integer()),
  approvedBy: Type.Optional(Type.String()),
});

export const DeploymentView = Type.Object({
  id: Type.String(),
  environment: Type.String(),
  operation: Type.String(),
  layers: Type.Array(Type.String()),
  status: Type.String(),
  trigger: TriggerView,
  layerRuns: Type.Record(Type.String(), LayerRunView),
  queuePosition: Type.Optional(Type.Integer()),
  attempts: Type.Optional(
    Type.Integer({
      description: 'how many times a worker started it; more than 1 when a worker died or stalled',
    }),
  ),
  worker: Type.Optional(
    Type.String({
      description:
        'the worker (its STRATA_WORKER_ID, by default <hostname>:<pid>) that runs or ran the latest attempt',
    }),
  ),
  approval: Type.Optional(
    Type.Object({
      requestedAt: Type.String(),
      plannedSteps: Type.Record(
        Type.String(),
        Type.Array(Type.Object({ urn: Type.String(), op: Type.String() })),
      ),
      approvedBy: Type.Optional(Type.String()),
      approvedAt: Type.Optional(Type.String()),
      rejectedBy: Type.Optional(Type.String()),
      rejectedAt: Type.Optional(Type.String()),
    }),
  ),
  refresh: Type.Optional(
    Type.Boolean({ description: 'false when the deployment skips the refresh before up' }),
  ),
  supersededBy: Type.Optional(Type.String()),
  error: Type.Optional(Type.String()),
  drift: Type.Optional(Type.Boolean()),
  createdAt: Type.String(),
  startedAt: Type.Optional(Type.String()),
  finishedAt: Type.Optional(Type.String()),
});
