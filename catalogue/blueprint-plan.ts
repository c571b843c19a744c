import type { LayerName, Stage } from '../core/domain';
import { resolveLayerConfig } from '../programs/lib/config';
import type { Blueprint, RuntimeSettings } from '../programs/lib/types';
import { environmentLayers, type EnvironmentRequest } from './environment-layers';
import { findLayer, layerDefinition } from './layer-catalogue';
import { planLayers, type PlannedLayer, type PlanResult } from './offline-plan';

/** An environment's layers: the catalogue definition and the fully resolved config of each. */
export function plannedLayers(request: EnvironmentRequest): PlannedLayer[] {
  return (
    Object.entries(environmentLayers(request)) as [
      LayerName,
      { target: never; config: Record<string, unknown> },
    ][]
  ).map(([layer, spec]) => {
    const definition = layerDefinition(layer, spec.target);
    return {
      layer,
      definition,
      config: resolveLayerConfig(definition, request.stage, spec.config),
    };
  });
}

/** A blueprint's layers for one stage, as an environment made from it alone has them. */
export function blueprintLayers(blueprint: Blueprint, stage: Stage): PlannedLayer[] {
  return plannedLayers({ blueprint, stage });
}

/** The `.env` keys a blueprint's bundle will hold. */
export function blueprintEnvKeys(blueprint: Blueprint): string[] {
  if (blueprint.env) return Object.keys(blueprint.env);
  return Object.entries(blueprint.layers).flatMap(([layer, spec]) =>
    (findLayer(spec.target, layer as LayerName)?.outputs ?? []).map((o) => o.env),
  );
}

export interface BlueprintPlan extends PlanResult {
  env: string[];
}

/**
 * Offline plan of an environment: every resource under Pulumi mocks, no credentials needed,
 * from the same layers and config a create of the same request would deploy.
 */
export async function planEnvironment(
  request: EnvironmentRequest,
  runtime?: RuntimeSettings,
): Promise<BlueprintPlan> {
  const layers = plannedLayers(request);
  const plan = await planLayers(`plan-${request.stage}`, request.stage, layers, runtime);
  const env = request.blueprint?.env
    ? Object.keys(request.blueprint.env)
    : layers.flatMap((l) => l.definition.outputs.map((o) => o.env));
  return { ...plan, env };
}

/** Offline plan of a blueprint for one stage. */
export function planBlueprint(
  blueprint: Blueprint,
  stage: Stage,
  runtime?: RuntimeSettings,
): Promise<BlueprintPlan> {
  return planEnvironment({ blueprint, stage }, runtime);
}
