import type { JsonObject, LayerName, LayerSpec, Stage } from '../core/domain';
import type { Blueprint, LayerDefinition } from '../programs/lib/types';
import { layerDefinition } from './layer-catalogue';

/** What an environment is made of, as a create request gives it. */
export interface EnvironmentRequest {
  blueprint?: Blueprint;
  stage: Stage;
  /** The request's own layers: on the blueprint's target they refine its config, else replace it. */
  layers?: Partial<Record<LayerName, { target: LayerSpec['target']; config?: JsonObject }>>;
  /** Environment-wide config, for every layer whose schema has the key. */
  config?: JsonObject;
}

/**
 * The keys of environment-wide config a layer takes: those its schema has.
 * `{ "region": "eu-west-1" }` once instead of once per layer.
 */
export function configForLayer(definition: LayerDefinition, envConfig: JsonObject): JsonObject {
  return Object.fromEntries(
    Object.entries(envConfig).filter(([key]) => key in definition.config.properties),
  );
}

/**
 * An environment's layers and the config each is given, in one order for a create and an
 * offline plan alike: the blueprint's layer config, its stage's, the request's own layers,
 * and environment-wide config where a layer does not set the key itself. Schema defaults,
 * presets and enforced values come after, in resolveLayerConfig.
 */
export function environmentLayers(
  request: EnvironmentRequest,
): Partial<Record<LayerName, LayerSpec>> {
  const layers: Partial<Record<LayerName, LayerSpec>> = {};
  const { blueprint, stage } = request;
  if (blueprint) {
    for (const [layer, spec] of Object.entries(blueprint.layers) as [LayerName, LayerSpec][]) {
      layers[layer] = {
        target: spec.target,
        config: { ...(spec.config ?? {}), ...(blueprint.stages?.[stage]?.[layer] ?? {}) },
      };
    }
  }
  for (const [layer, spec] of Object.entries(request.layers ?? {}) as [
    LayerName,
    { target: LayerSpec['target']; config?: JsonObject },
  ][]) {
    const base = layers[layer];
    const config =
      base && base.target === spec.target
        ? { ...base.config, ...(spec.config ?? {}) }
        : (spec.config ?? {});
    layers[layer] = { target: spec.target, config };
  }
  const envConfig = request.config ?? {};
  for (const [layer, spec] of Object.entries(layers) as [LayerName, LayerSpec][]) {
    spec.config = {
      ...configForLayer(layerDefinition(layer, spec.target), envConfig),
      ...spec.config,
    };
  }
  return layers;
}
