import type { LayerName, LayerSpec, TargetName } from '../core/domain';
import { awsLayers } from '../programs/aws';
import { cloudflareLayers } from '../programs/cloudflare';
import { gcpLayers } from '../programs/gcp';
import { hcloudLayers } from '../programs/hcloud';
import { localLayers } from '../programs/local';
import { openstackLayers } from '../programs/openstack';
import { ConfigError } from '../programs/lib/config';
import type { LayerDefinition } from '../programs/lib/types';

/** Every (target, layer) Strata can run: what the worker executes and GET /v1/targets lists. */
export const CATALOGUE: readonly LayerDefinition[] = [
  ...localLayers,
  ...awsLayers,
  ...gcpLayers,
  ...hcloudLayers,
  ...openstackLayers,
  ...cloudflareLayers,
];

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
