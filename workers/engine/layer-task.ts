import type {
  ChangeSummary,
  JsonObject,
  LayerName,
  Operation,
  PlannedStep,
  Stage,
  StackOutputs,
  TargetName,
} from '../../core/domain';

/** One Pulumi operation on one stack, as sent to the process that runs it. */
export interface LayerTask {
  deploymentId: string;
  environment: string;
  stage: Stage;
  layer: LayerName;
  target: TargetName;
  /** The deployment's operation, or the preview of a destroy held for approval. */
  operation: Operation | 'preview-destroy';
  /** Resolved config (defaults, preset, environment's values, enforced). */
  config: JsonObject;
  inputs: Partial<Record<LayerName, StackOutputs>>;
  dataDir: string;
  bucketsDir: string;
  localPostgresUrl: string;
  backendUrl: string;
  /**
   * For an approved `up` or `destroy`: the steps the approver saw. A fresh preview must announce exactly
   * these before anything is applied.
   */
  expectedSteps?: PlannedStep[];
  /** `false`: `up` and the previews of `up` skip the refresh they run first. */
  refresh?: false;
  /**
   * An earlier attempt at this deployment was interrupted: look for what it left behind
   * (stack locks, pending operations) before running.
   */
  recover?: boolean;
  /**
   * What Strata's record says of the layer's stack: `true` after an `up` left it deployed,
   * `false` when nothing has run on the layer yet, absent when anything in between may have
   * happened. It only saves CLI calls (see lean-stack); a wrong one costs a call, not a result.
   */
  stackExists?: boolean;
}

export interface LayerResult {
  changes: ChangeSummary;
  /**
   * Stack outputs after the operation; empty after destroy. Absent after a preview or a drift
   * check: neither changes them, and reading them back costs a CLI call that decrypts the state.
   */
  outputs?: StackOutputs;
  /** For `drift`: whether live resources differ from the state, and how. */
  drift?: boolean;
  driftedResources?: { urn: string; op: string; diffs?: string[] }[];
  /** For `preview`: the resource steps it announced (unchanged resources left out). */
  steps?: PlannedStep[];
}

/**
 * The machine's monotonic clock in ms (CLOCK_MONOTONIC, one for every process on the machine).
 * A lease deadline passes between processes in it, so an engine that reads a renewal late does
 * not stretch its deadline by the delay, as a duration counted from its receipt would.
 */
export function monotonicMs(): number {
  return Number(process.hrtime.bigint() / 1000n) / 1000;
}

export type ParentMessage =
  /** `leaseUntil`: the monotonicMs() at which this process must be gone. */
  | { type: 'run'; task: LayerTask; leaseUntil: number }
  /** Stop gracefully: the CLI finishes the steps in flight and unlocks the stack. */
  | { type: 'cancel' }
  /** The attempt renewed its lease: this process may go on until `until` (monotonicMs()). */
  | { type: 'lease'; until: number };

export type ChildMessage =
  | { type: 'event'; event: unknown }
  | { type: 'result'; result: LayerResult }
  | { type: 'error'; message: string; cancelled: boolean };

/**
 * How long before its lease runs out an engine process starts stopping gracefully; at the end of
 * the lease it kills what is left. The lease's own margin covers the time to kill.
 */
export const ENGINE_STOP_GRACE_MS = 3_000;
