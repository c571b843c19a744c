import type { LayerDefinition } from '../types';

export const hcloudLayers: LayerDefinition[] = [];
