import * as pulumi from '@pulumi/pulumi';
import type { LayerName, Stage, StackOutputs } from '../core/domain';
import { layerGroups } from '../core/layer-graph';
import {
  isSerializedSecret,
  onRegisterUnderMocks,
  waitForRegistrations,
} from '../programs/lib/pulumi-internals';
import type { LayerDefinition, ProgramArgs, RuntimeSettings } from '../programs/lib/types';

export interface PlannedResource {
  type: string;
  name: string;
  layer: LayerName;
  inputs: Record<string, unknown>;
}

export interface PlannedLayer {
  layer: LayerName;
  definition: LayerDefinition;
  /** Fully resolved config (defaults, preset, overrides, enforced). */
  config: Record<string, unknown>;
}

export interface PlanResult {
  resources: PlannedResource[];
  /** Each layer's outputs as the mocks resolved them, secret flags kept. */
  outputs: Partial<Record<LayerName, StackOutputs>>;
}

export const MASK = '[secret]';

/** Replaces Pulumi's serialized secrets with "[secret]" so a plan never shows a secret value. */
export function maskSecrets(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value && typeof value === 'object') {
    const record = value as Record<string, unknown>;
    if (isSerializedSecret(record)) return MASK;
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

/** Canned answers for the few data-source invokes programs make, so plans need no credentials. */
const INVOKE_RESULTS: Record<string, (args: Record<string, unknown>) => Record<string, unknown>> = {
  'aws:index/getAvailabilityZones:getAvailabilityZones': () => ({
    names: ['eu-west-1a', 'eu-west-1b', 'eu-west-1c'],
    zoneIds: ['euw1-az1', 'euw1-az2', 'euw1-az3'],
  }),
  'aws:index/getRegion:getRegion': () => ({ name: 'eu-west-1', region: 'eu-west-1' }),
  'aws:index/getCallerIdentity:getCallerIdentity': () => ({
    accountId: '123456789012',
    arn: 'arn:aws:iam::123456789012:user/plan',
    userId: 'plan',
  }),
  'aws:index/getPartition:getPartition': () => ({ partition: 'aws', dnsSuffix: 'amazonaws.com' }),
  // The router's external network, looked up by name when no ID is configured ("Ext-Net" on
  // OVH): a stable stand-in ID derived from the name, so the plan shows the gateway.
  'openstack:networking/getNetwork:getNetwork': (args) => {
    const name = typeof args.name === 'string' ? args.name : 'external';
    return {
      id: `${name.toLowerCase().replace(/[^a-z0-9]+/g, '-')}-plan-id`,
      name,
      external: args.external ?? true,
      region: args.region,
    };
  },
};

function resolveOutputs(result: Record<string, unknown> | void): Promise<Record<string, unknown>> {
  return new Promise((resolve) => {
    pulumi.output(result ?? {}).apply((values) => {
      resolve(values as Record<string, unknown>);
      return values;
    });
  });
}

async function secretFlags(
  result: Record<string, unknown> | void,
): Promise<Record<string, boolean>> {
  const flags: Record<string, boolean> = {};
  for (const [key, value] of Object.entries(result ?? {})) {
    flags[key] = pulumi.Output.isInstance(value) ? await pulumi.isSecret(value) : false;
  }
  return flags;
}

/**
 * Runs layer programs under `pulumi.runtime.setMocks`, in dependency order, feeding each
 * layer the mocked outputs of its dependencies, and records every resource registered.
 * Process-global (Pulumi's runtime is): callers run one plan per process at a time.
 */
export async function planLayers(
  environment: string,
  stage: Stage,
  layers: PlannedLayer[],
  runtimeSettings: RuntimeSettings = {
    dataDir: '/var/lib/strata',
    bucketsDir: '/var/lib/strata/buckets',
    localPostgresUrl: 'postgres://plan@127.0.0.1:5432/postgres',
    offline: true,
  },
): Promise<PlanResult> {
  const resources: PlannedResource[] = [];
  const outputs: Partial<Record<LayerName, StackOutputs>> = {};
  let currentLayer: LayerName = 'network';

  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({
        id: `${args.name}-id`,
        state: {
          ...args.inputs,
          arn: `arn:mock:${args.type}:${args.name}`,
          name: args.inputs.name ?? args.name,
        },
      }),
      call: (args) => INVOKE_RESULTS[args.token]?.(args.inputs) ?? args.inputs,
    },
    'strata',
    environment,
    false,
  );
  onRegisterUnderMocks((type, name, inputs) => {
    if (type !== 'pulumi:pulumi:Stack') {
      resources.push({
        type,
        name,
        layer: currentLayer,
        inputs: maskSecrets(inputs) as Record<string, unknown>,
      });
    }
  });

  const byLayer = new Map(layers.map((l) => [l.layer, l]));
  for (const group of layerGroups(byLayer.keys(), 'forward')) {
    for (const layer of group) {
      const planned = byLayer.get(layer);
      if (!planned) continue;
      currentLayer = layer;
      const args: ProgramArgs<Record<string, unknown>> = {
        environment,
        stage,
        config: planned.config,
        inputs: outputs,
        runtime: { ...runtimeSettings, offline: true },
      };
      const result = await planned.definition.program(args)();
      const values = await resolveOutputs(result);
      const flags = await secretFlags(result);
      await waitForRegistrations();
      outputs[layer] = Object.fromEntries(
        Object.entries(values).map(([k, v]) => [k, { value: v, secret: flags[k] ?? false }]),
      );
    }
  }
  return { resources, outputs };
}
