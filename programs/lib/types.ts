import * as pulumi from '@pulumi/pulumi';
import type { PulumiFn } from '@pulumi/pulumi/automation';
import type { Static, TObject } from '@sinclair/typebox';
import type { LayerName, Stage, StackOutputs, TargetName } from '../../core/domain';
import { unknownOutput } from './pulumi-internals';

/** One value a layer exports: its stack output name, its default `.env` key, and whether it is secret. */
export interface OutputSpec {
  name: string;
  env: string;
  secret?: boolean;
  description: string;
}

/** Machine-level facts a program may need; none of them are secret. */
export interface RuntimeSettings {
  dataDir: string;
  /** Root of the `local` target's directory buckets (STRATA_BUCKETS_DIR). */
  bucketsDir: string;
  localPostgresUrl: string;
  /** True under an offline plan (mocks): placeholders may stand in for ids only a deploy needs. */
  offline?: boolean;
  /**
   * True when the engine previews rather than applies. A dependency not deployed yet then
   * reads as unknown, as Pulumi previews any value that is not computed yet.
   */
  preview?: boolean;
}

export interface ProgramArgs<C> {
  environment: string;
  stage: Stage;
  /** Schema defaults, then the stage preset, then the environment's config, then what the stage enforces. */
  config: C;
  /** Outputs of the layers this one depends on, with their secret flags. */
  inputs: Partial<Record<LayerName, StackOutputs>>;
  runtime: RuntimeSettings;
}

export interface LayerDefinition<S extends TObject = TObject> {
  target: TargetName;
  layer: LayerName;
  description: string;
  /** Config schema: `additionalProperties: false`, every property with a default or optional. */
  config: S;
  presets?: Partial<Record<Stage, Partial<Static<S>>>>;
  /** Values a stage imposes whatever the environment asks (e.g. deletion protection in prod). */
  enforced?: Partial<Record<Stage, Partial<Static<S>>>>;
  outputs: OutputSpec[];
  /**
   * Config keys an offline plan can do without but a real deployment cannot (account ids,
   * zone ids): refused at POST /v1/environments when missing, never at plan time.
   */
  requiredToDeploy?: (keyof Static<S> & string)[];
  /**
   * Rules across fields the schema cannot state (min below max, names used twice, …): each
   * problem names its field. POST and PATCH refuse with 400 before anything is queued; the
   * program checks again, for the plain CLI.
   */
  check?: (config: Static<S>) => string[];
  program: (args: ProgramArgs<Static<S>>) => PulumiFn;
}

/** Erases the schema parameter so definitions of different layers fit one catalogue. */
export function defineLayer<S extends TObject>(definition: LayerDefinition<S>): LayerDefinition {
  return definition as unknown as LayerDefinition;
}

/**
 * Reads an output of a dependency layer as a Pulumi Output, keeping it secret when the
 * producing stack marked it secret. Fails loudly when the dependency is missing, because a
 * program that silently used `undefined` would create broken infrastructure.
 */
export function dependencyOutput<T = string>(
  args: ProgramArgs<unknown>,
  layer: LayerName,
  name: string,
): pulumi.Output<pulumi.Unwrap<T>> {
  const output = args.inputs[layer]?.[name];
  if (!output && args.runtime.preview) return unknownOutput<pulumi.Unwrap<T>>();
  if (!output) {
    throw new Error(
      `layer needs output "${name}" of the ${layer} layer; add a ${layer} layer to the environment`,
    );
  }
  const value = output.value as T;
  return output.secret ? pulumi.secret(value) : pulumi.output(value);
}

/** Like dependencyOutput, but for an optional dependency. */
export function optionalDependencyOutput<T = string>(
  args: ProgramArgs<unknown>,
  layer: LayerName,
  name: string,
): pulumi.Output<pulumi.Unwrap<T>> | undefined {
  return args.inputs[layer]?.[name] ? dependencyOutput<T>(args, layer, name) : undefined;
}

/** A named, versioned recipe: which layers on which targets, with which config. */
export interface Blueprint {
  name: string;
  version: string;
  description: string;
  /** The seed documents (shared/seeds) the blueprint was drawn from. */
  seeds: string[];
  layers: Partial<Record<LayerName, { target: TargetName; config?: Record<string, unknown> }>>;
  /** Per-stage config on top of the layer presets, e.g. a bigger cluster in prod. */
  stages?: Partial<Record<Stage, Partial<Record<LayerName, Record<string, unknown>>>>>;
  /**
   * The `.env` keys its applications expect, each from one layer output. When present the
   * bundle holds exactly these keys; otherwise each layer's default names.
   */
  env?: Record<string, { layer: LayerName; output: string }>;
  /** Choices a reader should know about (versions bumped, parts of the seed left out). */
  notes: string[];
}
