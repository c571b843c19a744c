import type { Blueprint } from '../types';

// Placeholder until the blueprint is written; replaced wholesale.
export const auterityAws: Blueprint = {
  name: 'auterity-aws',
  version: '0.0.0',
  description: 'not written yet',
  seeds: [],
  layers: {},
  notes: [],
};
