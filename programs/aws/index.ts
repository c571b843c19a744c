import type { LayerDefinition } from '../lib/types';
import { awsCompute } from './compute';
import { awsData } from './data';
import { awsNetwork } from './network';
import { awsObservability } from './observability';
import { awsServerless } from './serverless';
import { awsStorage } from './storage';

/** The `aws` target: one definition per layer. */
export const awsLayers: LayerDefinition[] = [
  awsNetwork,
  awsData,
  awsStorage,
  awsCompute,
  awsServerless,
  awsObservability,
];
