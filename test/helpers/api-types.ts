/**
 * What the API answers for a deployment and an environment, as far as the worker tests read
 * them. Fields the server leaves out in some states (approval, drift, queue position, times)
 * are optional.
 */
export interface Deployment {
  id: string;
  status: string;
  error?: string;
  drift?: boolean;
  trigger: { kind: string };
  approval?: {
    plannedSteps: Record<string, { urn: string; op: string }[]>;
    approvedBy?: string;
    rejectedBy?: string;
  };
  layerRuns: Record<
    string,
    { status: string; driftedResources?: { urn: string; op: string; diffs?: string[] }[] }
  >;
  /** Set while it waits behind another deployment of the same environment. */
  queuePosition?: number;
  startedAt?: string;
  finishedAt?: string;
}

export interface Environment {
  status: string;
  drift?: boolean;
  expiresAt?: string;
  driftedResources?: { layer: string; urn: string; op: string }[];
  layers: Record<string, { status: string }>;
}
