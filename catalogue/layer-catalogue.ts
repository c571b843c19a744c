import type { LayerName, LayerSpec, TargetName } from '../core/domain';
import { ConfigError } from '../programs/lib/config';
import type { LayerDefinition } from '../programs/lib/types';
import { CATALOGUE_TARGETS, targetLayers } from './target-layers';

/** Every (target, layer) Strata can run: what the API checks specs against and GET /v1/targets lists. */
export const CATALOGUE: readonly LayerDefinition[] = CATALOGUE_TARGETS.flatMap(targetLayers);

export function findLayer(target: TargetName, layer: LayerName): LayerDefinition | undefined {
  return CATALOGUE.find((d) => d.target === target && d.layer === layer);
}

/** A layer's definition on a target, or a ConfigError saying what the target offers. */
export function layerDefinition(layer: LayerName, target: LayerSpec['target']): LayerDefinition {
  const definition = findLayer(target, layer);
  if (!definition) {
    const offered = layersOf(target).map((d) => d.layer);
    throw new ConfigError([
      `layers.${layer}: target "${target}" has no ${layer} layer (it offers ${offered.join(', ') || 'none'})`,
    ]);
  }
  return definition;
}

export function layersOf(target: TargetName): LayerDefinition[] {
  return CATALOGUE.filter((d) => d.target === target);
}
