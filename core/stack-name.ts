import path from 'node:path';
import type { LayerName } from './domain';

/** The Pulumi project every Strata stack belongs to (also `name` in Pulumi.yaml). */
export const PROJECT_NAME = 'strata';

/** The one place that names a stack: one stack per (environment, layer). */
export function stackName(environment: string, layer: LayerName): string {
  return `${environment}.${layer}`;
}

/** The LocalWorkspace directory of one stack, under the data dir. */
export function stackWorkDir(dataDir: string, environment: string, layer: LayerName): string {
  return path.join(dataDir, 'work', environment, layer);
}
