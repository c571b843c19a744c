/**
 * Plans one blueprint under Pulumi mocks and reports it over IPC. Mocks are process-global,
 * so the API runs each plan in a process of its own.
 */
import { findBlueprint } from '../programs/blueprints';
import { planBlueprint } from './blueprint-plan';
import type { PlanReply, PlanRequest } from './plan-in-child';

process.on('message', (message: PlanRequest) => {
  const blueprint = findBlueprint(message.blueprint);
  const done = (payload: PlanReply): void => {
    process.send?.(payload, undefined, undefined, () => process.exit(0));
  };
  if (!blueprint) {
    done({ error: `blueprint "${message.blueprint}" does not exist` });
    return;
  }
  planBlueprint(blueprint, message.stage).then(
    (plan) => done({ plan: { resources: plan.resources, env: plan.env } }),
    (error: unknown) => done({ error: error instanceof Error ? error.message : String(error) }),
  );
});
