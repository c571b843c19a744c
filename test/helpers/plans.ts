import assert from 'node:assert/strict';
import type { Stage } from '../../core/domain';
import { planBlueprint, type BlueprintPlan } from '../../catalogue/blueprint-plan';
import { resolveLayerConfig } from '../../programs/lib/config';
import { planLayers, type PlanResult, type PlannedResource } from '../../catalogue/offline-plan';
import type { Blueprint, LayerDefinition } from '../../programs/lib/types';

/**
 * A blueprint's plan per stage, made once and then shared by the tests of a file: planning is
 * slow, and the Pulumi mock runtime is process-global, so plans are made one after the other.
 */
export function blueprintPlans(blueprint: Blueprint): (stage: Stage) => Promise<BlueprintPlan> {
  const plans = new Map<Stage, BlueprintPlan>();
  return async (stage) => {
    const known = plans.get(stage);
    if (known) return known;
    const made = await planBlueprint(blueprint, stage);
    plans.set(stage, made);
    return made;
  };
}

/**
 * Plans the given layers, each with its config resolved for the stage, as an environment of
 * that name. planLayers is process-global: every plan of a test file is awaited in turn.
 */
export function layerPlanner(
  environment: string,
): (stage: Stage, layers: [LayerDefinition, Record<string, unknown>][]) => Promise<PlanResult> {
  return (stage, layers) =>
    planLayers(
      environment,
      stage,
      layers.map(([definition, config]) => ({
        layer: definition.layer,
        definition,
        config: resolveLayerConfig(definition, stage, config),
      })),
    );
}

/** The planned resources of one type, from a plan or a list of its resources. */
export function ofType(
  from: PlannedResource[] | { resources: PlannedResource[] },
  type: string,
): PlannedResource[] {
  const resources = Array.isArray(from) ? from : from.resources;
  return resources.filter((r) => r.type === type);
}

/** The one planned resource of a type; fails the test when there is none or more. */
export function one(resources: PlannedResource[], type: string): PlannedResource {
  const found = ofType(resources, type);
  assert.equal(found.length, 1, `exactly one ${type}`);
  return found[0] as PlannedResource;
}
