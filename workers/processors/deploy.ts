import { DelayedError, type Job } from 'bullmq';
import type { DeployJobData } from '../../core/deployment-lifecycle';
import { FencedError } from '../../core/errors';
import type { WorkerContext } from '../context';
import { settleOrphaned } from '../deployment/record';
import { runDeployment } from '../deployment/run-deployment';
import { LeaseKeeper } from '../lease-keeper';

/**
 * How soon a deployment waiting for its environment asks again by itself. The deployment ending
 * before it hands the environment on at once (DeploymentLifecycle.handOff); this delay only
 * covers an environment freed some other way (a repair by the reconciler).
 */
const WAIT_FOR_TURN_MS = 5_000;

/**
 * Runs a deployment job. Whatever happens inside (an exception, a lost lease, a shutdown), the
 * deployment either ends with a status that says what happened, or is left `running` without a
 * lease, for the reconciler to resume on whichever worker is alive.
 */
export function deployProcessor(ctx: WorkerContext) {
  return async (job: Job<DeployJobData>, token?: string): Promise<void> => {
    const begun = await ctx.lifecycle.begin(
      job.data.deploymentId,
      job.id ?? '',
      ctx.settings.workerId,
    );
    if (begun.kind === 'done') {
      if (begun.gaveUp) await settleOrphaned(ctx, begun.gaveUp);
      return;
    }
    if (begun.kind === 'wait') {
      // Another deployment has the environment or is ahead in its line: wait, never fail.
      await ctx.lifecycle.waitForTurn(job, token, WAIT_FOR_TURN_MS);
      throw new DelayedError();
    }
    const { attempt } = begun;
    const log = ctx.logger.child({ deployment: attempt.id });
    const lease = new LeaseKeeper(attempt, log);
    ctx.running.set(attempt.id, lease);
    try {
      await runDeployment(ctx, attempt, lease);
    } catch (error) {
      if (error instanceof FencedError || lease.lost) {
        log.warn(
          { reason: lease.interrupted ? 'shutdown' : 'lease lost' },
          'stopped this attempt; the deployment resumes on another attempt',
        );
        return;
      }
      // A fault of Strata's own: the deployment still ends, and says what happened.
      const message = error instanceof Error ? error.message : String(error);
      log.error({ err: error }, 'deployment failed with an internal error');
      await attempt.finish('failed', { error: `internal error: ${message}` });
    } finally {
      lease.close();
      ctx.running.delete(attempt.id);
      await attempt.release().catch((error: unknown) => {
        log.warn({ err: error }, 'could not release the lease; it expires by itself');
      });
    }
  };
}
