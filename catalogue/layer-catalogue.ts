import type { LayerName, LayerSpec } from '../core/domain';
import { ConfigError } from '../programs/lib/config';
import type { LayerDefinition } from '../programs/lib/types';
import { CATALOGUE_TARGETS, findLayer, targetLayers } from './target-layers';

/** Every (target, layer) Strata can run, every target's programs loaded. */
export const CATALOGUE: readonly LayerDefinition[] = CATALOGUE_TARGETS.flatMap(targetLayers);

/** A layer's definition on a target, or a ConfigError saying what the target offers. */
export function layerDefinition(layer: LayerName, target: LayerSpec['target']): LayerDefinition {
  const definition = findLayer(target, layer);
  if (!definition) {
    const offered = targetLayers(target).map((d) => d.layer);
    throw new ConfigError([
      `layers.${layer}: target "${target}" has no ${layer} layer (it offers ${offered.join(', ') || 'none'})`,
    ]);
  }
  return definition;
}
