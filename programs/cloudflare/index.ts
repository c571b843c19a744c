import type { LayerDefinition } from '../lib/types';
import { cloudflareNetwork } from './network';
import { cloudflareServerless } from './serverless';
import { cloudflareStorage } from './storage';

export const cloudflareLayers: LayerDefinition[] = [
  cloudflareNetwork,
  cloudflareStorage,
  cloudflareServerless,
];
