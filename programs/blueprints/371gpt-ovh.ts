import type { Blueprint } from '../types';

// Placeholder until the blueprint is written; replaced wholesale.
export const gpt371Ovh: Blueprint = {
  name: '371gpt-ovh',
  version: '0.0.0',
  description: 'not written yet',
  seeds: [],
  layers: {},
  notes: [],
};
