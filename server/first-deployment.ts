import type { DeploymentRecord, EnvironmentRecord } from '../core/domain';
import type { Services } from '../core/services';

type FirstDeploymentServices = Pick<Services, 'store' | 'lifecycle' | 'maintenance'>;

/**
 * Queues the first deployment of an environment just stored, with its TTL expiry and drift
 * schedule, after `prepare` (what else the caller keeps about it). Nothing is half-created: if
 * any of it fails the environment is forgotten again, since no deployment would ever run it.
 */
export async function queueFirstDeployment(
  services: FirstDeploymentServices,
  env: EnvironmentRecord,
  deployment: DeploymentRecord,
): Promise<void>;
export async function queueFirstDeployment<T>(
  services: FirstDeploymentServices,
  env: EnvironmentRecord,
  deployment: DeploymentRecord,
  prepare: () => Promise<T>,
): Promise<T>;
export async function queueFirstDeployment<T>(
  services: FirstDeploymentServices,
  env: EnvironmentRecord,
  deployment: DeploymentRecord,
  prepare?: () => Promise<T>,
): Promise<T | undefined> {
  try {
    const prepared = await prepare?.();
    await services.lifecycle.enqueue(deployment);
    await services.maintenance.scheduleExpiry(env);
    await services.maintenance.scheduleDrift(env);
    return prepared;
  } catch (error) {
    await services.store.deleteEnvironment(env.name);
    throw error;
  }
}
