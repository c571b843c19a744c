import type { LayerDefinition } from '../lib/types';
import { openstackCompute } from './compute';
import { openstackData } from './data';
import { openstackNetwork } from './network';
import { openstackStorage } from './storage';

export const openstackLayers: LayerDefinition[] = [
  openstackNetwork,
  openstackData,
  openstackStorage,
  openstackCompute,
];
