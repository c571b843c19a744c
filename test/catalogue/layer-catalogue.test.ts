import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { allLayers } from '../../catalogue/layer-catalogue';
import { DATA_OUTPUTS, STORAGE_OUTPUTS } from '../../programs/lib/outputs';
import type { OutputSpec } from '../../programs/lib/types';

const shape = (o: OutputSpec) => ({ name: o.name, env: o.env, secret: o.secret ?? false });

describe('the catalogue', () => {
  it('gives the default bundle names of the README for data and storage on every target', () => {
    const optional = new Set(['redisUrl']);
    for (const definition of allLayers()) {
      const expected =
        definition.layer === 'data'
          ? DATA_OUTPUTS
          : definition.layer === 'storage'
            ? STORAGE_OUTPUTS
            : [];
      const declared = new Map(definition.outputs.map((o) => [o.name, shape(o)]));
      for (const spec of expected) {
        const found = declared.get(spec.name);
        if (!found && optional.has(spec.name)) continue;
        assert.deepEqual(
          found,
          shape(spec),
          `${definition.target}/${definition.layer}: ${spec.env}`,
        );
      }
    }
  });

  it('names every bundle key in upper snake case, once per layer, and marks credentials secret', () => {
    for (const definition of allLayers()) {
      const where = `${definition.target}/${definition.layer}`;
      const envs = definition.outputs.map((o) => o.env);
      assert.equal(new Set(envs).size, envs.length, `${where}: a bundle key appears twice`);
      for (const output of definition.outputs) {
        assert.match(output.env, /^[A-Z][A-Z0-9_]*$/, `${where}: ${output.env}`);
        if (/PASSWORD|SECRET|TOKEN|PRIVATE_KEY|KUBECONFIG|ACCESS_KEY/.test(output.env)) {
          assert.equal(output.secret, true, `${where}: ${output.env} is not marked secret`);
        }
      }
    }
  });

  it('has one definition per (target, layer), each with a closed config schema', () => {
    const seen = new Set<string>();
    for (const definition of allLayers()) {
      const key = `${definition.target}/${definition.layer}`;
      assert.ok(!seen.has(key), `${key} is defined twice`);
      seen.add(key);
      assert.equal(
        definition.config.additionalProperties,
        false,
        `${key} accepts unknown config fields`,
      );
    }
  });
});
