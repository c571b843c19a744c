import type { LayerName } from '../../core/domain';
import { layerGroups } from '../../core/layer-graph';

export type LayerOutcome = 'succeeded' | 'failed' | 'cancelled';

export interface WalkHandlers {
  /** Runs one layer; layers of one group run at the same time. */
  run(layer: LayerName): Promise<LayerOutcome>;
  /** A layer that will not run because an earlier one failed or the walk was stopped. */
  skip(layer: LayerName, because: 'failed' | 'cancelled'): Promise<void>;
  /** Whether the walk was stopped from outside (cancel, lost lease). */
  stopped(): boolean;
}

/**
 * Walks the layer graph: forward for everything but destroy, backward for destroy, each group's
 * layers at once. After a failure or a stop, the remaining layers are skipped. Returns the
 * first thing that went wrong, if anything did.
 */
export async function walkLayers(
  layers: LayerName[],
  direction: 'forward' | 'backward',
  handlers: WalkHandlers,
): Promise<LayerOutcome> {
  let outcome: LayerOutcome = 'succeeded';
  for (const group of layerGroups(layers, direction)) {
    if (outcome !== 'succeeded' || handlers.stopped()) {
      const because = handlers.stopped() || outcome === 'cancelled' ? 'cancelled' : 'failed';
      for (const layer of group) await handlers.skip(layer, because);
      if (outcome === 'succeeded') outcome = 'cancelled';
      continue;
    }
    const results = await Promise.all(group.map((layer) => handlers.run(layer)));
    if (results.includes('cancelled')) outcome = 'cancelled';
    else if (results.includes('failed')) outcome = 'failed';
  }
  return outcome;
}
