/**
 * Every Redis key Strata writes, in one place so the layout can be read at a glance. Keys live
 * under the installation's namespace (its queue name), so one Redis can hold several
 * installations without one reading the other's records.
 */
export function redisKeys(namespace: string) {
  const ns = `strata:${namespace}`;
  return {
    namespace,
    /** Fingerprint of the installation that owns this namespace (never the key itself). */
    installation: () => `${ns}:installation`,
    environment: (name: string) => `${ns}:env:${name}`,
    environments: () => `${ns}:envs`,
    environmentDeployments: (name: string) => `${ns}:env:${name}:deployments`,
    /** Deployments waiting for the environment, in arrival order (score = arrival sequence). */
    environmentQueue: (name: string) => `${ns}:env:${name}:queue`,
    /** The deployment that has the environment, from its start until it ends or is held. */
    environmentCurrent: (name: string) => `${ns}:env:${name}:current`,
    /**
     * The lease of the attempt running the current deployment: its fencing token, with a short
     * expiry the attempt keeps renewing. No lease while a deployment is current means its
     * holder died.
     */
    environmentLease: (name: string) => `${ns}:env:${name}:lease`,
    /** Deployments of an environment held for approval. */
    environmentAwaiting: (name: string) => `${ns}:env:${name}:awaiting`,
    environmentHook: (name: string) => `${ns}:env:${name}:hook`,
    bundle: (name: string) => `${ns}:bundle:${name}`,
    deployment: (id: string) => `${ns}:deployment:${id}`,
    /** Set when someone asks to cancel a running deployment; read by whoever runs it. */
    deploymentCancel: (id: string) => `${ns}:deployment:${id}:cancel`,
    /** Deployments that have not ended: what the reconciler looks after. */
    unfinished: () => `${ns}:unfinished`,
    events: (id: string) => `${ns}:events:${id}`,
    eventSequence: (id: string) => `${ns}:events:${id}:seq`,
    arrivals: () => `${ns}:arrivals`,
    /** sha256 of a deploy hook token -> environment name. */
    hook: (hash: string) => `${ns}:hook:${hash}`,
    /** Environments whose `source` is this repository and branch (GitHub repos are case-insensitive). */
    source: (repo: string, branch: string) => `${ns}:source:${repo.toLowerCase()}@${branch}`,
    githubDelivery: (id: string) => `${ns}:github-delivery:${id}`,
    reviewTemplate: (name: string) => `${ns}:review-template:${name}`,
    reviewTemplates: () => `${ns}:review-templates`,
    /**
     * Set when a pull request is closed: an `opened` delivered after it (GitHub does not promise
     * order) creates nothing, and a create that overlapped the close destroys what it made.
     */
    reviewClosed: (reviewOf: string) => `${ns}:review-closed:${reviewOf.toLowerCase()}`,
    /** Notification events written in the same step as the transition that caused them. */
    notificationOutbox: () => `${ns}:notify:outbox`,
    /** Lease of the worker draining the outbox: one at a time keeps the fan-out in order. */
    notificationDrainer: () => `${ns}:notify:drainer`,
    notification: (id: string) => `${ns}:notify:sub:${id}`,
    notifications: () => `${ns}:notify:subs`,
    /** Undelivered events of one deployment to one subscription, by sequence: sent head first. */
    notificationLine: (subscription: string, deployment: string) =>
      `${ns}:notify:line:${subscription}:${deployment}`,
    notificationDeliveries: (id: string) => `${ns}:notify:sub:${id}:deliveries`,
    cancelChannel: () => `${ns}:cancel`,
    /** Prefix of the request counters of the rate limit (per token, per client address). */
    rateLimit: () => `${ns}:rate-limit:`,
  };
}

export type RedisKeys = ReturnType<typeof redisKeys>;
