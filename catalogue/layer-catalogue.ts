import type { LayerName, TargetName } from '../core/domain';
import { awsLayers } from '../programs/aws';
import { cloudflareLayers } from '../programs/cloudflare';
import { gcpLayers } from '../programs/gcp';
import { hcloudLayers } from '../programs/hcloud';
import { localLayers } from '../programs/local';
import { openstackLayers } from '../programs/openstack';
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

export function layersOf(target: TargetName): LayerDefinition[] {
  return CATALOGUE.filter((d) => d.target === target);
}
