import type { Static } from '@sinclair/typebox';
import {
  LAYERS,
  type EnvironmentRecord,
  type JsonObject,
  type LayerName,
  type LayerSpec,
  type Stage,
} from '../core/domain';
import { formatDuration } from '../core/duration';
import { assertCron, expiryAfter, shortestInterval } from '../core/maintenance';
import { BLUEPRINTS, findBlueprint } from '../programs/blueprints';
import { configForLayer, environmentLayers } from '../catalogue/environment-layers';
import { layerDefinition } from '../catalogue/layer-catalogue';
import { ConfigError, resolveLayerConfig } from '../programs/lib/config';
import type { Blueprint } from '../programs/lib/types';
import { BadRequestError } from './errors';
import type { CreateEnvironmentBody } from './schemas/environment';

type CreateBody = Static<typeof CreateEnvironmentBody>;

/** Checks every layer's config against its schema for this stage; collects every problem. */
export function validateLayers(layers: Partial<Record<LayerName, LayerSpec>>, stage: Stage): void {
  const problems: string[] = [];
  for (const layer of LAYERS) {
    const spec = layers[layer];
    if (!spec) continue;
    try {
      const definition = layerDefinition(layer, spec.target);
      const resolved = resolveLayerConfig(definition, stage, spec.config);
      problems.push(...(definition.check?.(resolved) ?? []));
      for (const key of definition.requiredToDeploy ?? []) {
        if (resolved[key] === undefined || resolved[key] === '') {
          problems.push(`layers.${layer}.config.${key}: required to deploy on ${spec.target}`);
        }
      }
    } catch (error) {
      if (error instanceof ConfigError) problems.push(...error.problems);
      else throw error;
    }
  }
  if (problems.length > 0) throw new ConfigError(problems);
}

/** The layers of a create request: the blueprint's, overridden by the request's own. */
export function requestedLayers(
  body: CreateBody,
  stage: Stage,
): Partial<Record<LayerName, LayerSpec>> {
  let blueprint: Blueprint | undefined;
  if (body.blueprint !== undefined) {
    blueprint = findBlueprint(body.blueprint);
    if (!blueprint) {
      throw new BadRequestError(
        `blueprint "${body.blueprint}" does not exist (known: ${BLUEPRINTS.map((b) => b.name).join(', ')})`,
      );
    }
  }
  const layers = environmentLayers({
    ...(blueprint ? { blueprint } : {}),
    stage,
    ...(body.layers ? { layers: body.layers } : {}),
    ...(body.config ? { config: body.config } : {}),
  });
  if (Object.keys(layers).length === 0) {
    throw new BadRequestError('give a "blueprint" or at least one entry in "layers"');
  }
  return layers;
}

/** A drift check starts pulumi for every layer: one more often than `minIntervalMs` is refused. */
export function validateDriftSchedule(schedule: string | undefined, minIntervalMs: number): void {
  if (schedule === undefined) return;
  try {
    assertCron(schedule);
  } catch (error) {
    throw new BadRequestError(`body.drift.schedule: ${(error as Error).message}`);
  }
  const shortest = shortestInterval(schedule);
  if (shortest < minIntervalMs) {
    throw new BadRequestError(
      `body.drift.schedule: "${schedule}" runs ${formatDuration(shortest)} apart, more often than the minimum of ${formatDuration(minIntervalMs)} (STRATA_DRIFT_MIN_INTERVAL)`,
    );
  }
}

/**
 * Applies a PATCH's environment-wide config: merged into the environment's config and into
 * every layer whose schema has the key. Validated like a create; takes effect at the next up.
 */
export function withConfigChange(env: EnvironmentRecord, change: JsonObject): EnvironmentRecord {
  const layers: Partial<Record<LayerName, LayerSpec>> = {};
  for (const [layer, spec] of Object.entries(env.layers) as [LayerName, LayerSpec][]) {
    const definition = layerDefinition(layer, spec.target);
    const relevant = configForLayer(definition, change);
    layers[layer] = { target: spec.target, config: { ...spec.config, ...relevant } };
  }
  validateLayers(layers, env.stage);
  return { ...env, config: { ...env.config, ...change }, layers };
}

/** `driftMinIntervalMs`: STRATA_DRIFT_MIN_INTERVAL. */
export function newEnvironment(body: CreateBody, driftMinIntervalMs: number): EnvironmentRecord {
  const stage: Stage = body.stage ?? 'dev';
  const layers = requestedLayers(body, stage);
  validateLayers(layers, stage);
  validateDriftSchedule(body.drift?.schedule, driftMinIntervalMs);
  const created = new Date();
  const now = created.toISOString();
  const expiresAt = body.ttl ? expiryAfter({ ttl: body.ttl }, created) : undefined;
  return {
    name: body.name,
    stage,
    ...(body.blueprint !== undefined ? { blueprint: body.blueprint } : {}),
    layers,
    config: body.config ?? {},
    ...(body.ttl ? { ttl: body.ttl, expiresAt } : {}),
    requireApproval: body.requireApproval ?? stage === 'prod',
    ...(body.source ? { source: body.source } : {}),
    ...(body.drift ? { driftPolicy: body.drift } : {}),
    status: 'provisioning',
    layerStates: {},
    createdAt: now,
    updatedAt: now,
  };
}
