import { envValue, type BundleEntry } from '../core/bundle';
import type { EnvironmentRecord, LayerName, StackOutputs } from '../core/domain';
import { LAYERS } from '../core/domain';
import { findBlueprint } from '../programs/blueprints';
import { findLayer } from './layer-catalogue';

/**
 * The `.env` entries of an environment: the blueprint's mapping when it has one (the names
 * its applications expect), otherwise each layer's default names from the catalogue.
 */
export function bundleEntries(
  env: EnvironmentRecord,
  outputs: Partial<Record<LayerName, StackOutputs>>,
): BundleEntry[] {
  const mapping = env.blueprint ? findBlueprint(env.blueprint)?.env : undefined;
  if (mapping) {
    return Object.entries(mapping).flatMap(([key, { layer, output }]) => {
      const found = outputs[layer]?.[output];
      return found ? [{ key, value: envValue(found.value), layer, secret: found.secret }] : [];
    });
  }
  return LAYERS.flatMap((layer) => {
    const spec = env.layers[layer];
    const layerOutputs = outputs[layer];
    if (!spec || !layerOutputs) return [];
    const definition = findLayer(spec.target, layer);
    return (definition?.outputs ?? []).flatMap((o) => {
      const found = layerOutputs[o.name];
      return found
        ? [{ key: o.env, value: envValue(found.value), layer, secret: found.secret || !!o.secret }]
        : [];
    });
  });
}

/** Outputs safe to show in API responses: secret values replaced by "[secret]". */
export function visibleOutputs(outputs: StackOutputs | undefined): Record<string, unknown> {
  return Object.fromEntries(
    Object.entries(outputs ?? {}).map(([k, o]) => [k, o.secret ? '[secret]' : o.value]),
  );
}
