import type { LayerDefinition } from '../lib/types';
import { localData } from './data';
import { localStorage } from './storage';

export const localLayers: LayerDefinition[] = [localData, localStorage];
