import type { LayerDefinition } from '../types';

export const cloudflareLayers: LayerDefinition[] = [];
