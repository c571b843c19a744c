import type { LayerDefinition } from '../types';
import { localData } from './data';
import { localStorage } from './storage';

export const localLayers: LayerDefinition[] = [localData, localStorage];
