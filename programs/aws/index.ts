import type { LayerDefinition } from '../types';

export const awsLayers: LayerDefinition[] = [];
