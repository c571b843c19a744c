/** The vocabulary of Strata, shared by the API, the workers and the programs. */

export const STAGES = ['dev', 'staging', 'prod'] as const;
export type Stage = (typeof STAGES)[number];

export const TARGETS = ['aws', 'gcp', 'hcloud', 'openstack', 'cloudflare', 'local'] as const;
export type TargetName = (typeof TARGETS)[number];

export const LAYERS = [
  'network',
  'data',
  'storage',
  'compute',
  'serverless',
  'observability',
] as const;
export type LayerName = (typeof LAYERS)[number];

export const OPERATIONS = ['up', 'preview', 'refresh', 'destroy', 'drift'] as const;
export type Operation = (typeof OPERATIONS)[number];

export const DEPLOYMENT_STATUSES = [
  'queued',
  'pending_approval',
  'running',
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
] as const;
export type DeploymentStatus = (typeof DEPLOYMENT_STATUSES)[number];

export const FINAL_STATUSES: ReadonlySet<DeploymentStatus> = new Set([
  'succeeded',
  'failed',
  'cancelled',
  'superseded',
]);

export const LAYER_STATUSES = [
  'pending',
  'running',
  'succeeded',
  'failed',
  'skipped',
  'cancelled',
] as const;
export type LayerStatus = (typeof LAYER_STATUSES)[number];

export const TRIGGER_KINDS = ['api', 'webhook', 'hook', 'ttl', 'drift'] as const;
export type TriggerKind = (typeof TRIGGER_KINDS)[number];

export interface Trigger {
  kind: TriggerKind;
  /** Token name for `api`; the pusher for `webhook`. */
  actor?: string;
  repository?: string;
  branch?: string;
  commit?: string;
  /** The pull request a review environment's deployment was asked for by. */
  pullRequest?: number;
}

/** A resource step a preview announced: what an approval approves. */
export interface PlannedStep {
  urn: string;
  op: string;
}

export interface Approval {
  requestedAt: string;
  /** Per layer, the steps of the preview that was shown for approval. */
  plannedSteps: Partial<Record<LayerName, PlannedStep[]>>;
  /**
   * The layers and their config as the preview ran them: the apply runs with exactly these,
   * whatever the environment's config became meanwhile.
   */
  layers?: Partial<Record<LayerName, LayerSpec>>;
  approvedBy?: string;
  approvedAt?: string;
  rejectedBy?: string;
  rejectedAt?: string;
}

export interface DriftPolicy {
  /** Cron pattern, or "off"; unset follows the global STRATA_DRIFT_SCHEDULE. */
  schedule?: string;
  /** Run `up` when a drift check finds differences. */
  autoRemediate?: boolean;
}

export type JsonObject = { [key: string]: unknown };

export interface LayerSpec {
  target: TargetName;
  config: JsonObject;
}

export interface Source {
  repo: string;
  branch: string;
}

/** What a stack output looks like once it leaves the engine: secrets keep their flag. */
export interface StackOutput {
  value: unknown;
  secret: boolean;
}
export type StackOutputs = Record<string, StackOutput>;

export interface LayerState {
  target: TargetName;
  status: 'absent' | 'provisioning' | 'ready' | 'failed' | 'destroying' | 'destroyed';
  /** Outputs with secret values replaced by "[secret]": safe to show. */
  outputs: Record<string, unknown>;
  updatedAt?: string;
  lastDeployment?: string;
}

export interface EnvironmentRecord {
  name: string;
  stage: Stage;
  blueprint?: string;
  layers: Partial<Record<LayerName, LayerSpec>>;
  config: JsonObject;
  ttl?: string;
  expiresAt?: string;
  requireApproval: boolean;
  source?: Source;
  driftPolicy?: DriftPolicy;
  /** What the last drift check found, per resource. */
  driftedResources?: { layer: LayerName; urn: string; op: string; diffs?: string[] }[];
  driftCheckedAt?: string;
  /** The pull request a review environment previews, as `<owner>/<repo>#<number>`. */
  reviewOf?: string;
  /** The review template it was created from. */
  reviewTemplate?: string;
  status: 'provisioning' | 'ready' | 'failed' | 'destroying' | 'destroyed';
  layerStates: Partial<Record<LayerName, LayerState>>;
  drift?: boolean;
  createdAt: string;
  updatedAt: string;
}

export interface ChangeSummary {
  [op: string]: number;
}

export interface LayerRun {
  status: LayerStatus;
  startedAt?: string;
  finishedAt?: string;
  changes?: ChangeSummary;
  error?: string;
  drift?: boolean;
  driftedResources?: { urn: string; op: string; diffs?: string[] }[];
}

export interface DeploymentRecord {
  id: string;
  environment: string;
  operation: Operation;
  layers: LayerName[];
  status: DeploymentStatus;
  trigger: Trigger;
  /** The review template of its environment, kept here so notifications outlive a forget. */
  reviewTemplate?: string;
  /** Whole-environment destroy that forgets the environment once done. */
  forget?: boolean;
  /**
   * `false`: an `up` (or `preview`) skips the refresh it runs first, so it neither reads the
   * live resources nor repairs drift. Absent means refresh.
   */
  refresh?: false;
  approval?: Approval;
  /** The deployment that replaced this one while it waited. */
  supersededBy?: string;
  /** The BullMQ job answerable for it now; jobs with another id leave it alone. */
  job?: string;
  /** How many times a worker started it; more than one means earlier workers died or stalled. */
  attempts?: number;
  /** The worker (STRATA_WORKER_ID) that runs or ran its latest attempt. */
  worker?: string;
  layerRuns: Partial<Record<LayerName, LayerRun>>;
  error?: string;
  drift?: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}
