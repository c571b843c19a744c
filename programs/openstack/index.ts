import type { LayerDefinition } from '../types';

export const openstackLayers: LayerDefinition[] = [];
