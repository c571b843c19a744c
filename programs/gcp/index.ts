import type { LayerDefinition } from '../types';

export const gcpLayers: LayerDefinition[] = [];
