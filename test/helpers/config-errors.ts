import assert from 'node:assert/strict';
import type { LayerName, TargetName } from '../../core/domain';
import { findLayer } from '../../catalogue/layer-catalogue';
import { ConfigError, resolveLayerConfig } from '../../programs/lib/config';
import type { Blueprint, LayerDefinition } from '../../programs/lib/types';

/** Asserts that a layer refuses a dev config with a ConfigError whose message names the field. */
export function refused(
  definition: LayerDefinition,
  config: Record<string, unknown>,
  field: string,
): void {
  assert.throws(
    () => resolveLayerConfig(definition, 'dev', config),
    (error: unknown) => error instanceof ConfigError && error.message.includes(field),
    `expected a ConfigError naming ${field}`,
  );
}

/** Bad values per layer: [field, value, the path the error must name below layers.<layer>.config]. */
export type BadValues = Partial<Record<LayerName, [string, unknown, string][]>>;

/**
 * Asserts that every layer of the blueprint is in the catalogue, has bad values listed, and
 * refuses each of them on top of the blueprint's own prod config with a ConfigError naming it.
 */
export function assertEachLayerRefuses(blueprint: Blueprint, bad: BadValues): void {
  for (const [layer, spec] of Object.entries(blueprint.layers) as [
    LayerName,
    { target: TargetName; config?: Record<string, unknown> },
  ][]) {
    const definition = findLayer(spec.target, layer);
    assert.ok(definition, `${layer} is in the catalogue`);
    const cases = bad[layer];
    assert.ok(cases, `bad values listed for ${layer}`);
    for (const [field, value, named] of cases) {
      assert.throws(
        () => resolveLayerConfig(definition, 'prod', { ...spec.config, [field]: value }),
        (e: unknown) =>
          e instanceof ConfigError && e.message.includes(`layers.${layer}.config.${named}`),
        `${layer}.${field}=${JSON.stringify(value)} is refused`,
      );
    }
  }
}
