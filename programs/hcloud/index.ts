import type { LayerDefinition } from '../lib/types';
import { hcloudCompute } from './compute';
import { hcloudData } from './data';
import { hcloudNetwork } from './network';

export const hcloudLayers: LayerDefinition[] = [hcloudNetwork, hcloudData, hcloudCompute];
