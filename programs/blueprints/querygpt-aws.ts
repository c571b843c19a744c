import type { Blueprint } from '../types';

// Placeholder until the blueprint is written; replaced wholesale.
export const querygptAws: Blueprint = {
  name: 'querygpt-aws',
  version: '0.0.0',
  description: 'not written yet',
  seeds: [],
  layers: {},
  notes: [],
};
