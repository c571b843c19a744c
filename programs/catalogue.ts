import type { LayerName, TargetName } from '../core/domain';
import { awsLayers } from './aws';
import { cloudflareLayers } from './cloudflare';
import { gcpLayers } from './gcp';
import { hcloudLayers } from './hcloud';
import { localLayers } from './local';
import { openstackLayers } from './openstack';
import type { LayerDefinition } from './types';

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

export function layersOf(target: TargetName): LayerDefinition[] {
  return CATALOGUE.filter((d) => d.target === target);
}
