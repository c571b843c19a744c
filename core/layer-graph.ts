import { LAYERS, type LayerName } from './domain';

/** Each layer's direct dependencies (README, "Targets and layers"). */
export const LAYER_DEPENDENCIES: Readonly<Record<LayerName, readonly LayerName[]>> = {
  network: [],
  data: ['network'],
  storage: ['network'],
  compute: ['data', 'storage'],
  serverless: ['compute'],
  observability: ['compute'],
};

/**
 * Dependencies an environment actually has, looking through layers it lacks: an environment
 * with network and compute but no data or storage still orders compute after network.
 */
export function effectiveDependencies(
  layer: LayerName,
  present: ReadonlySet<LayerName>,
): LayerName[] {
  const found = new Set<LayerName>();
  const visit = (current: LayerName): void => {
    for (const dep of LAYER_DEPENDENCIES[current]) {
      if (present.has(dep)) found.add(dep);
      else visit(dep);
    }
  };
  visit(layer);
  return LAYERS.filter((l) => found.has(l));
}

/**
 * Groups of layers that may run at the same time, in order. `up` walks dependencies first;
 * `destroy` walks dependents first. Layers not in `layers` are skipped.
 */
export function layerGroups(
  layers: Iterable<LayerName>,
  direction: 'forward' | 'backward',
): LayerName[][] {
  const present = new Set(layers);
  const depth = new Map<LayerName, number>();
  const depthOf = (layer: LayerName): number => {
    const known = depth.get(layer);
    if (known !== undefined) return known;
    const deps = effectiveDependencies(layer, present);
    const value = deps.length === 0 ? 0 : 1 + Math.max(...deps.map(depthOf));
    depth.set(layer, value);
    return value;
  };
  const ordered = LAYERS.filter((l) => present.has(l));
  const groups: LayerName[][] = [];
  for (const layer of ordered) {
    const d = depthOf(layer);
    (groups[d] ??= []).push(layer);
  }
  const compact = groups.filter((g) => g.length > 0);
  if (direction === 'forward') return compact;
  // Backward: a layer must go before everything it depends on, so reverse the forward order.
  return compact.reverse();
}
