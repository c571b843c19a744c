/**
 * The baseline Strata is measured against: the same `local` programs run through the bare
 * Automation API in one warm Node process (this one), each layer on its own, in sequence, with
 * `createOrSelectStack` and `up({ refresh: true })` as a plain script would.
 */
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { LocalWorkspace, type Stack } from '@pulumi/pulumi/automation';
import type { LayerName } from '../core/domain';
import { findLayer } from '../catalogue/layer-catalogue';
import { resolveLayerConfig } from '../programs/lib/config';

export interface LayerFigures {
  /** create + up of a fresh stack. */
  up: number;
  /** From `up()` being called to its first engine event. */
  firstEvent: number;
  noop: number;
  destroy: number;
}

const LAYERS: LayerName[] = ['data', 'storage'];

async function open(
  scratch: string,
  environment: string,
  layer: LayerName,
  inputs: Record<string, unknown>,
): Promise<Stack> {
  const definition = findLayer('local', layer);
  if (!definition) throw new Error(`no local ${layer} layer`);
  const program = definition.program({
    environment,
    stage: 'dev',
    config: resolveLayerConfig(definition, 'dev', {}),
    inputs: inputs as never,
    runtime: {
      dataDir: scratch,
      bucketsDir: path.join(scratch, 'buckets'),
      localPostgresUrl:
        process.env.LOCAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
      preview: false,
    },
  });
  const workDir = path.join(scratch, 'work', `${environment}-${layer}`);
  fs.mkdirSync(workDir, { recursive: true });
  // Dynamic providers resolve @pulumi/pulumi from the work dir.
  const pulumiPackage = path.dirname(require.resolve('@pulumi/pulumi/package.json'));
  fs.symlinkSync(path.resolve(pulumiPackage, '..', '..'), path.join(workDir, 'node_modules'));
  return LocalWorkspace.createOrSelectStack(
    { stackName: `${environment}-${layer}`, projectName: 'bare', program },
    {
      workDir,
      projectSettings: {
        name: 'bare',
        runtime: 'nodejs',
        backend: { url: `file://${path.join(scratch, 'state')}` },
      },
      envVars: {
        PULUMI_CONFIG_PASSPHRASE: 'bench',
        PULUMI_SKIP_UPDATE_CHECK: 'true',
        PATH: `${pulumiPackage}${path.delimiter}${process.env.PATH ?? ''}`,
      },
    },
  );
}

async function timedUp(stack: Stack): Promise<{ ms: number; firstEvent: number }> {
  const started = performance.now();
  let firstEvent = NaN;
  await stack.up({
    refresh: true,
    onEvent: () => {
      if (Number.isNaN(firstEvent)) firstEvent = performance.now() - started;
    },
  });
  return { ms: performance.now() - started, firstEvent };
}

/** One run: each layer created, re-run and destroyed, timed on its own. */
export async function measureBareEngine(): Promise<Record<LayerName, LayerFigures>> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bare-'));
  fs.mkdirSync(path.join(scratch, 'state'));
  const environment = `bare-${Math.random().toString(16).slice(2, 8)}`;
  const figures = {} as Record<LayerName, LayerFigures>;
  try {
    for (const layer of LAYERS) {
      let t = performance.now();
      const stack = await open(scratch, environment, layer, {});
      const first = await timedUp(stack);
      const up = performance.now() - t;
      const noop = (await timedUp(stack)).ms;
      t = performance.now();
      await stack.destroy();
      await stack.workspace.removeStack(stack.name);
      figures[layer] = { up, firstEvent: first.firstEvent, noop, destroy: performance.now() - t };
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}
