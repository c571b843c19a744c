/**
 * The baseline Strata is measured against: the same `local` programs run through the bare
 * Automation API in one warm Node process (this one), each layer on its own, in sequence, with
 * `createOrSelectStack` and `up({ refresh: true })` as a plain script would; and the same with
 * both layers at once, one warm process each.
 */
import { fork } from 'node:child_process';
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
  /** The same for the no-op `up` of the existing stack. */
  noopFirstEvent: number;
  destroy: number;
}

/** The durations measureBareTogether takes, for both layers at once. */
export type TogetherFigures = Pick<LayerFigures, 'up' | 'noop' | 'destroy'>;

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

/**
 * The same operations on both layers at once, each layer in a warm process of its own (as
 * Strata's pre-started engine processes are): what this machine gives two engines running side
 * by side, the floor for a parallel walk when the cores are few.
 */
export async function measureBareTogether(): Promise<TogetherFigures> {
  const scratch = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-bare-together-'));
  fs.mkdirSync(path.join(scratch, 'state'));
  const environment = `bare-${Math.random().toString(16).slice(2, 8)}`;
  const children = LAYERS.map((layer) =>
    fork(__filename, ['--layer', layer, scratch, environment], { stdio: 'inherit' }),
  );
  const step = async (phase: Phase): Promise<number> => {
    const started = performance.now();
    await Promise.all(
      children.map(
        (child) =>
          new Promise<void>((resolve, reject) => {
            child.once('message', (m: { error?: string }) =>
              m.error ? reject(new Error(m.error)) : resolve(),
            );
            child.send(phase);
          }),
      ),
    );
    return performance.now() - started;
  };
  try {
    await Promise.all(children.map((c) => new Promise((r) => c.once('message', r))));
    return { up: await step('up'), noop: await step('noop'), destroy: await step('destroy') };
  } finally {
    for (const child of children) child.kill();
    fs.rmSync(scratch, { recursive: true, force: true });
  }
}

type Phase = 'up' | 'noop' | 'destroy';

/** One layer of measureBareTogether, in its own process: each phase when the parent says. */
function serveLayer(layer: LayerName, scratch: string, environment: string): void {
  let stack: Stack | undefined;
  const phases: Record<Phase, () => Promise<unknown>> = {
    up: async () => (stack = await open(scratch, environment, layer, {})).up({ refresh: true }),
    noop: async () => stack?.up({ refresh: true }),
    destroy: async () => {
      await stack?.destroy();
      await stack?.workspace.removeStack(stack.name);
    },
  };
  process.on('message', (phase: Phase) => {
    phases[phase]().then(
      () => process.send?.({}),
      (error: unknown) => process.send?.({ error: String(error) }),
    );
  });
  process.send?.({ ready: true });
}

if (require.main === module && process.argv[2] === '--layer') {
  const [, , , layer, scratch, environment] = process.argv;
  serveLayer(layer as LayerName, scratch ?? '', environment ?? '');
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
      const noop = await timedUp(stack);
      t = performance.now();
      await stack.destroy();
      await stack.workspace.removeStack(stack.name);
      figures[layer] = {
        up,
        firstEvent: first.firstEvent,
        noop: noop.ms,
        noopFirstEvent: noop.firstEvent,
        destroy: performance.now() - t,
      };
    }
  } finally {
    fs.rmSync(scratch, { recursive: true, force: true });
  }
  return figures;
}
