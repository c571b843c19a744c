/* eslint-disable @typescript-eslint/no-require-imports */
import { TARGETS, type LayerName, type LayerSpec, type TargetName } from '../core/domain';
import { ConfigError } from '../programs/lib/config';
import type { LayerDefinition } from '../programs/lib/types';

/**
 * Each target's layer definitions, loaded the first time they are asked for. An engine process
 * runs one layer of one target, and loading every target's programs with their provider SDKs
 * (@pulumi/aws alone is some 300 modules) cost each operation about 0.45 s of CPU it never used.
 */
const LOADERS: { readonly [T in TargetName]: () => readonly LayerDefinition[] } = {
  local: () => (require('../programs/local') as typeof import('../programs/local')).localLayers,
  aws: () => (require('../programs/aws') as typeof import('../programs/aws')).awsLayers,
  gcp: () => (require('../programs/gcp') as typeof import('../programs/gcp')).gcpLayers,
  hcloud: () => (require('../programs/hcloud') as typeof import('../programs/hcloud')).hcloudLayers,
  openstack: () =>
    (require('../programs/openstack') as typeof import('../programs/openstack')).openstackLayers,
  cloudflare: () =>
    (require('../programs/cloudflare') as typeof import('../programs/cloudflare')).cloudflareLayers,
};

export function targetLayers(target: TargetName): readonly LayerDefinition[] {
  // A target the worker does not know (a record written by a newer version) offers nothing.
  return Object.hasOwn(LOADERS, target) ? LOADERS[target]() : [];
}

/** Every (target, layer) Strata can run, every target's programs loaded. */
export function allLayers(): readonly LayerDefinition[] {
  return TARGETS.flatMap(targetLayers);
}

/** A layer's definition on a target, loading that target's programs alone. */
export function findLayer(target: TargetName, layer: LayerName): LayerDefinition | undefined {
  return targetLayers(target).find((d) => d.layer === layer);
}

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
