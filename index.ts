/**
 * The same layer programs under the plain `pulumi` CLI, outside the service:
 *
 *   pulumi stack init pr-1.data
 *   pulumi config set strata:target local
 *   pulumi config set strata:layer data
 *   pulumi up
 *
 * Dependencies are read from their stacks with StackReferences (`strata:dependencies`).
 */
import path from 'node:path';
import * as pulumi from '@pulumi/pulumi';
import type { JsonObject, LayerName, Stage, StackOutputs, TargetName } from './core/domain';
import { findLayer, layerDefinition } from './catalogue/layer-catalogue';
import { resolveLayerConfig } from './programs/lib/config';
import { stackName } from './core/stack-name';

async function main(): Promise<Record<string, unknown> | void> {
  const config = new pulumi.Config('strata');
  const target = config.require('target') as TargetName;
  const layer = config.require('layer') as LayerName;
  const stage = (config.get('stage') ?? 'dev') as Stage;
  const environment = config.get('environment') ?? pulumi.getStack().split('.')[0]!;
  const definition = layerDefinition(layer, target);

  const inputs: Partial<Record<LayerName, StackOutputs>> = {};
  for (const dependency of config.getObject<LayerName[]>('dependencies') ?? []) {
    const dependencyTarget = config.require(`${dependency}Target`) as TargetName;
    const reference = new pulumi.StackReference(
      `${pulumi.getOrganization()}/${pulumi.getProject()}/${stackName(environment, dependency)}`,
    );
    const outputs: StackOutputs = {};
    for (const spec of findLayer(dependencyTarget, dependency)?.outputs ?? []) {
      const details = await reference.getOutputDetails(spec.name);
      if (details.value !== undefined) outputs[spec.name] = { value: details.value, secret: false };
      else if (details.secretValue !== undefined)
        outputs[spec.name] = { value: details.secretValue, secret: true };
    }
    inputs[dependency] = outputs;
  }

  const program = definition.program({
    environment,
    stage,
    config: resolveLayerConfig(definition, stage, config.getObject<JsonObject>('config') ?? {}),
    inputs,
    runtime: {
      dataDir: path.resolve(process.env.STRATA_DATA_DIR ?? '.strata'),
      bucketsDir: path.resolve(
        process.env.STRATA_BUCKETS_DIR ??
          path.join(process.env.STRATA_DATA_DIR ?? '.strata', 'buckets'),
      ),
      localPostgresUrl:
        process.env.LOCAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    },
  });
  return program();
}

export = main();
