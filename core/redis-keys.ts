/** Every Redis key Strata writes, in one place so the layout can be read at a glance. */
export const keys = {
  environment: (name: string) => `strata:env:${name}`,
  environments: () => 'strata:envs',
  environmentDeployments: (name: string) => `strata:env:${name}:deployments`,
  /** Deployments waiting for the environment, in arrival order (score = arrival sequence). */
  environmentQueue: (name: string) => `strata:env:${name}:queue`,
  /** Held by the deployment that is running on the environment. */
  environmentLock: (name: string) => `strata:env:${name}:lock`,
  bundle: (name: string) => `strata:bundle:${name}`,
  deployment: (id: string) => `strata:deployment:${id}`,
  deploymentCancel: (id: string) => `strata:deployment:${id}:cancel`,
  events: (id: string) => `strata:events:${id}`,
  eventSequence: (id: string) => `strata:events:${id}:seq`,
  arrivals: () => 'strata:arrivals',
  /** sha256 of a deploy hook token -> environment name. */
  hook: (hash: string) => `strata:hook:${hash}`,
  environmentHook: (name: string) => `strata:env:${name}:hook`,
  /** Environments whose `source` is this repository and branch (GitHub repos are case-insensitive). */
  source: (repo: string, branch: string) => `strata:source:${repo.toLowerCase()}@${branch}`,
  /** Deployments of an environment held for approval. */
  environmentAwaiting: (name: string) => `strata:env:${name}:awaiting`,
  githubDelivery: (id: string) => `strata:github-delivery:${id}`,
  cancelChannel: () => 'strata:cancel',
};
