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
  operation: Operation;
  /** Resolved config (defaults, preset, environment's values, enforced). */
  config: JsonObject;
  inputs: Partial<Record<LayerName, StackOutputs>>;
  dataDir: string;
  localPostgresUrl: string;
  backendUrl: string;
  /**
   * For an approved `up`: the steps the approver saw. A fresh preview must announce exactly
   * these before anything is applied.
   */
  expectedSteps?: PlannedStep[];
}

export interface LayerResult {
  changes: ChangeSummary;
  /** Stack outputs after the operation; empty after destroy. */
  outputs: StackOutputs;
  /** For `drift`: whether live resources differ from the state, and how. */
  drift?: boolean;
  driftedResources?: { urn: string; op: string; diffs?: string[] }[];
  /** For `preview`: the resource steps it announced (unchanged resources left out). */
  steps?: PlannedStep[];
}

export type ParentMessage = { type: 'run'; task: LayerTask } | { type: 'cancel' };

export type ChildMessage =
  | { type: 'event'; event: unknown }
  | { type: 'result'; result: LayerResult }
  | { type: 'error'; message: string; cancelled: boolean };
