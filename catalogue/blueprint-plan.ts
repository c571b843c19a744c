import type { LayerName, Stage } from '../core/domain';
import { findLayer } from './layer-catalogue';
import { resolveLayerConfig } from '../programs/lib/config';
import { planLayers, type PlannedLayer, type PlanResult } from './offline-plan';
import type { Blueprint, RuntimeSettings } from '../programs/lib/types';

/** A blueprint's layers for one stage: the catalogue definition and the fully resolved config. */
export function blueprintLayers(blueprint: Blueprint, stage: Stage): PlannedLayer[] {
  return (
    Object.entries(blueprint.layers) as [
      LayerName,
      { target: never; config?: Record<string, unknown> },
    ][]
  ).map(([layer, spec]) => {
    const definition = findLayer(spec.target, layer);
    if (!definition) {
      throw new Error(`blueprint ${blueprint.name}: no ${layer} layer for target ${spec.target}`);
    }
    const config = { ...(spec.config ?? {}), ...(blueprint.stages?.[stage]?.[layer] ?? {}) };
    return { layer, definition, config: resolveLayerConfig(definition, stage, config) };
  });
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

/** Offline plan of a blueprint: every resource under Pulumi mocks, no credentials needed. */
export async function planBlueprint(
  blueprint: Blueprint,
  stage: Stage,
  runtime?: RuntimeSettings,
): Promise<BlueprintPlan> {
  const plan = await planLayers(`plan-${stage}`, stage, blueprintLayers(blueprint, stage), runtime);
  return { ...plan, env: blueprintEnvKeys(blueprint) };
}
