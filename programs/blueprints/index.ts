import type { Blueprint } from '../types';

export const BLUEPRINTS: readonly Blueprint[] = [];

export function findBlueprint(name: string): Blueprint | undefined {
  return BLUEPRINTS.find((b) => b.name === name);
}
