import type { Static } from '@sinclair/typebox';
import type { DeploymentLifecycle } from '../core/deployment-lifecycle';
import type { DeploymentRecord, EnvironmentRecord, LayerName } from '../core/domain';
import { LAYERS } from '../core/domain';
import type { LayerView } from './schemas/environment';

/** The API's picture of an environment: layer specs merged with their live state. */
export function environmentView(env: EnvironmentRecord) {
  const layers: Record<string, Static<typeof LayerView>> = {};
  for (const layer of LAYERS) {
    const spec = env.layers[layer as LayerName];
    if (!spec) continue;
    const state = env.layerStates[layer];
    layers[layer] = {
      target: spec.target,
      config: spec.config,
      status: state?.status ?? 'absent',
      outputs: state?.outputs ?? {},
      ...(state?.updatedAt ? { updatedAt: state.updatedAt } : {}),
      ...(state?.lastDeployment ? { lastDeployment: state.lastDeployment } : {}),
    };
  }
  const { layerStates: _states, layers: _layers, ...rest } = env;
  return { ...rest, layers };
}

/** A deployment as the API shows it, with its place in line while it waits. */
export async function deploymentView(lifecycle: DeploymentLifecycle, deployment: DeploymentRecord) {
  const { forget: _forget, job: _job, reviewTemplate: _template, ...rest } = deployment;
  const queuePosition = await lifecycle.queuePosition(deployment);
  return { ...rest, ...(queuePosition !== undefined ? { queuePosition } : {}) };
}
