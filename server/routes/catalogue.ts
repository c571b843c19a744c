import type { FastifyPluginAsyncTypebox } from '@fastify/type-provider-typebox';
import { Type } from '@sinclair/typebox';
import { STAGES, TARGETS, type LayerName, type Stage } from '../../core/domain';
import { NotFoundError } from '../../core/errors';
import { blueprintEnvKeys } from '../../catalogue/blueprint-plan';
import { planInChild } from '../../catalogue/plan-in-child';
import { BLUEPRINTS, findBlueprint } from '../../programs/blueprints';
import { targetLayers } from '../../catalogue/layer-catalogue';
import type { PlannedResource } from '../../catalogue/offline-plan';
import type { Blueprint } from '../../programs/lib/types';
import { BadRequestError } from '../errors';
import { errorResponses, FreeObject } from '../schemas/common';

const TargetView = Type.Object({
  name: Type.String(),
  layers: Type.Array(
    Type.Object({
      layer: Type.String(),
      description: Type.String(),
      config: FreeObject,
      outputs: Type.Array(
        Type.Object({
          name: Type.String(),
          env: Type.String(),
          secret: Type.Boolean(),
          description: Type.String(),
        }),
      ),
    }),
  ),
});

const BlueprintView = Type.Object({
  name: Type.String(),
  version: Type.String(),
  description: Type.String(),
  seeds: Type.Array(Type.String()),
  layers: Type.Record(Type.String(), Type.Object({ target: Type.String(), config: FreeObject })),
  stages: FreeObject,
  env: Type.Array(Type.String()),
  notes: Type.Array(Type.String()),
});

const PlanView = Type.Object({
  blueprint: Type.String(),
  stage: Type.String(),
  resources: Type.Array(
    Type.Object({
      type: Type.String(),
      name: Type.String(),
      layer: Type.String(),
      inputs: FreeObject,
    }),
  ),
  env: Type.Array(Type.String()),
});

function blueprintView(b: Blueprint) {
  return {
    name: b.name,
    version: b.version,
    description: b.description,
    seeds: b.seeds,
    layers: Object.fromEntries(
      Object.entries(b.layers).map(([layer, spec]) => [
        layer,
        { target: spec.target, config: spec.config ?? {} },
      ]),
    ),
    stages: b.stages ?? {},
    env: blueprintEnvKeys(b),
    notes: b.notes,
  };
}

const routes: FastifyPluginAsyncTypebox = async (app) => {
  // Built as the API starts: every target's programs load then, not in a first request (an
  // environment's check needs its targets' definitions too), and the answer never changes.
  const targets = TARGETS.map((name) => ({
    name,
    layers: targetLayers(name).map((d) => ({
      layer: d.layer as LayerName,
      description: d.description,
      config: d.config as unknown as Record<string, unknown>,
      outputs: d.outputs.map((o) => ({ ...o, secret: o.secret ?? false })),
    })),
  }));
  // Plans are pure functions of code and stage, so one per (blueprint, stage) serves everyone.
  const plans = new Map<string, Promise<{ resources: PlannedResource[]; env: string[] }>>();

  app.get(
    '/v1/targets',
    {
      onRequest: app.authorize('read'),
      schema: {
        response: { 200: Type.Object({ targets: Type.Array(TargetView) }), ...errorResponses },
      },
    },
    async () => ({ targets }),
  );

  app.get(
    '/v1/blueprints',
    {
      onRequest: app.authorize('read'),
      schema: {
        response: {
          200: Type.Object({ blueprints: Type.Array(BlueprintView) }),
          ...errorResponses,
        },
      },
    },
    async () => ({ blueprints: BLUEPRINTS.map(blueprintView) }),
  );

  app.get(
    '/v1/blueprints/:name',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: Type.Object({ name: Type.String() }),
        response: { 200: BlueprintView, ...errorResponses },
      },
    },
    async (request) => {
      const blueprint = findBlueprint(request.params.name);
      if (!blueprint) throw new NotFoundError(`blueprint "${request.params.name}" not found`);
      return blueprintView(blueprint);
    },
  );

  app.get(
    '/v1/blueprints/:name/plan',
    {
      onRequest: app.authorize('read'),
      schema: {
        params: Type.Object({ name: Type.String() }),
        querystring: Type.Object(
          { stage: Type.Optional(Type.String()) },
          { additionalProperties: false },
        ),
        response: { 200: PlanView, ...errorResponses },
      },
    },
    async (request) => {
      const blueprint = findBlueprint(request.params.name);
      if (!blueprint) throw new NotFoundError(`blueprint "${request.params.name}" not found`);
      const stage = request.query.stage ?? 'dev';
      if (!(STAGES as readonly string[]).includes(stage)) {
        throw new BadRequestError(`stage must be one of ${STAGES.join(', ')} (got "${stage}")`);
      }
      const key = `${blueprint.name}:${stage}`;
      let plan = plans.get(key);
      if (!plan) {
        plan = planInChild(blueprint.name, stage as Stage);
        plans.set(key, plan);
        plan.catch(() => plans.delete(key));
      }
      const { resources, env } = await plan;
      return { blueprint: blueprint.name, stage, resources, env };
    },
  );
};

export default routes;
