import path from 'node:path';
import type { Stage } from '../core/domain';
import { forkChild, runInChild } from '../core/run-in-child';
import type { PlannedResource } from './offline-plan';

const PLAN_TIMEOUT_MS = 180_000;

export interface OfflinePlan {
  resources: PlannedResource[];
  env: string[];
}

/** What offline-plan-process answers. */
export interface PlanReply {
  plan?: OfflinePlan;
  error?: string;
}

/** The request offline-plan-process takes. */
export interface PlanRequest {
  blueprint: string;
  stage: Stage;
}

/**
 * A blueprint's offline plan, made in a process of its own: Pulumi's mocks are process-global,
 * so two plans cannot share one.
 */
export function planInChild(blueprint: string, stage: Stage): Promise<OfflinePlan> {
  let timer: NodeJS.Timeout | undefined;
  return runInChild<PlanReply, OfflinePlan>(
    {
      process: forkChild({
        module: path.join(__dirname, 'offline-plan-process.js'),
        stderrTail: 2000,
      }),
      onMessage: (run, reply) => {
        if (reply.plan) run.settle(undefined, reply.plan);
        else run.settle(new Error(reply.error ?? 'plan failed'));
      },
      startFailed: (error) => new Error(`could not start the plan process: ${error.message}`),
      ended: (code, signal, stderr) =>
        new Error(`plan process ended (${signal ?? `exit ${code}`}) without a result ${stderr}`),
      onSettled: () => clearTimeout(timer),
    },
    (run) => {
      timer = setTimeout(() => run.child.kill('SIGKILL'), PLAN_TIMEOUT_MS);
      const request: PlanRequest = { blueprint, stage };
      run.send(request);
    },
  );
}
