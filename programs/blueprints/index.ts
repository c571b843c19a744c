import type { Blueprint } from '../lib/types';
import { gpt371Ovh } from './371gpt-ovh';
import { auterityAws } from './auterity-aws';
import { multicloudHetzner } from './multicloud-hetzner';
import { querygptAws } from './querygpt-aws';

export const BLUEPRINTS: readonly Blueprint[] = [
  gpt371Ovh,
  querygptAws,
  multicloudHetzner,
  auterityAws,
];

export function findBlueprint(name: string): Blueprint | undefined {
  return BLUEPRINTS.find((b) => b.name === name);
}
