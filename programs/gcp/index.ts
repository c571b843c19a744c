import type { LayerDefinition } from '../lib/types';
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
