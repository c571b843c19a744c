import type { LayerDefinition } from '../types';

export const localLayers: LayerDefinition[] = [];
