import type { LayerDefinition } from '../types';
import { gcpCompute } from './compute';
import { gcpData } from './data';
import { gcpNetwork } from './network';
import { gcpObservability } from './observability';
import { gcpServerless } from './serverless';
import { gcpStorage } from './storage';

export const gcpLayers: LayerDefinition[] = [
  gcpNetwork,
  gcpData,
  gcpStorage,
  gcpCompute,
  gcpServerless,
  gcpObservability,
];
