import type { Job } from 'bullmq';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { MaintenanceJob } from '../../core/maintenance';
import type { WorkerContext } from '../context';

/** How soon an expiry that found its environment busy looks again. */
const BUSY_RECHECK_MS = 5_000;

export function maintenanceProcessor(ctx: WorkerContext) {
  return async (job: Job<MaintenanceJob>): Promise<void> => {
    const data = job.data;
    switch (data.kind) {
      case 'ttl':
        return expire(ctx, data.environment, data.expiresAt);
      case 'drift':
        return checkDrift(ctx, data.environment);
      case 'drift-sweep':
        for (const env of await ctx.store.listEnvironments()) {
          // Environments with a schedule of their own (or "off") are not swept.
          if (!env.driftPolicy?.schedule) await checkDrift(ctx, env.name);
        }
        return;
    }
  };
}

async function expire(ctx: WorkerContext, name: string, expiresAt: string): Promise<void> {
  const env = await ctx.store.getEnvironment(name);
  // A redeploy or a PATCH moved the expiry since this check was scheduled: a later one fires.
  if (!env || env.expiresAt !== expiresAt || env.status === 'destroying') return;
  // The TTL counts from the last deployment, so it does not run out while one is under way.
  if (await ctx.lifecycle.isBusy(name)) {
    await ctx.maintenance.recheckExpiry(env, BUSY_RECHECK_MS);
    return;
  }
  const destroy = newDeployment(env, 'destroy', { kind: 'ttl' }, { forget: true });
  await ctx.lifecycle.enqueue(destroy);
  ctx.logger.info(
    { environment: name, deployment: destroy.id, expiresAt },
    'ttl reached: destroying',
  );
}

async function checkDrift(ctx: WorkerContext, name: string): Promise<void> {
  const env = await ctx.store.getEnvironment(name);
  // Nothing provisioned yet, or busy: the next scheduled check will look.
  if (!env || (env.status !== 'ready' && env.status !== 'failed')) return;
  if ((await ctx.lifecycle.waitingCount(name)) > 0) return;
  await ctx.lifecycle.enqueue(newDeployment(env, 'drift', { kind: 'drift' }));
}
