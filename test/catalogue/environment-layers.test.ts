/**
 * A plan must show what a create deploys: both resolve an environment's layers through one
 * function, so blueprint, stage, the request's own layers and environment-wide config reach
 * the plan as they reach the worker.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { planEnvironment, plannedLayers } from '../../catalogue/blueprint-plan';
import { layerDefinition } from '../../catalogue/layer-catalogue';
import type { LayerName, LayerSpec } from '../../core/domain';
import { querygptAws } from '../../programs/blueprints/querygpt-aws';
import { resolveLayerConfig } from '../../programs/lib/config';
import { newEnvironment } from '../../server/environment-spec';

const body = {
  name: 'plan-matches-create',
  blueprint: 'querygpt-aws',
  stage: 'staging' as const,
  config: { region: 'eu-central-1' },
  layers: { observability: { target: 'aws' as const, config: { logGroups: ['app'] } } },
};
const request = {
  blueprint: querygptAws,
  stage: body.stage,
  layers: body.layers,
  config: body.config,
};

/** Each layer's config as the worker runs it for the environment a create stored. */
function createdConfigs(): Record<string, Record<string, unknown>> {
  // The request has no drift schedule, so the minimum interval plays no part.
  const env = newEnvironment(body, 0);
  return Object.fromEntries(
    (Object.entries(env.layers) as [LayerName, LayerSpec][]).map(([layer, spec]) => [
      layer,
      resolveLayerConfig(layerDefinition(layer, spec.target), env.stage, spec.config),
    ]),
  );
}

test('an offline plan resolves every layer to the config a create of the same request deploys', () => {
  const planned = Object.fromEntries(plannedLayers(request).map((l) => [l.layer, l.config]));
  const created = createdConfigs();
  assert.deepEqual(planned, created);
  // Environment-wide config and the request's own layer config are in both.
  for (const config of Object.values(planned)) assert.equal(config.region, 'eu-central-1');
  assert.deepEqual(planned.observability?.logGroups, ['app']);
});

test("the plan's resources land in the environment-wide region", async () => {
  const plan = await planEnvironment(request);
  const providers = plan.resources.filter((r) => r.type === 'pulumi:providers:aws');
  assert.ok(providers.length > 0, 'the plan has AWS providers');
  for (const provider of providers) assert.equal(provider.inputs.region, 'eu-central-1');
});
