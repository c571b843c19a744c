import { newDeployment } from '../core/deployment-lifecycle';
import type { DeploymentRecord, EnvironmentRecord, Trigger } from '../core/domain';
import { ConflictError } from '../core/errors';
import { reviewEnvironmentName, reviewRef, type ReviewTemplate } from '../core/review-templates';
import type { Services } from '../core/services';
import { newEnvironment } from './environment-spec';
import { queueFirstDeployment } from './first-deployment';

/** The fields of a GitHub `pull_request` delivery that review environments read. */
export interface PullRequestPayload {
  action?: string;
  number?: number;
  label?: { name?: string };
  sender?: { login?: string };
  repository?: { full_name?: string };
  pull_request?: {
    number?: number;
    labels?: { name?: string }[];
    head?: { sha?: string; ref?: string; repo?: { full_name?: string } | null };
    base?: { repo?: { full_name?: string } };
  };
}

export interface PullRequest {
  repository: string;
  number: number;
  action: string;
  headSha?: string;
  headRef?: string;
  fromFork: boolean;
  labels: string[];
  /** The label added or removed, for `labeled` and `unlabeled`. */
  label?: string;
  sender?: string;
}

/** The answer for one template: what happened, and the deployment it queued if any. */
export interface ReviewOutcome {
  message: string;
  deployment?: DeploymentRecord;
}

/** Forgets closed pull requests after a month: long enough for any late redelivery. */
const CLOSED_MEMORY_SECONDS = 30 * 24 * 3600;

const DEPLOYING = new Set(['opened', 'reopened', 'synchronize', 'ready_for_review']);

/**
 * Turns pull request events into review environments: one per pull request and template,
 * created and deployed on `opened`, redeployed on `synchronize`, destroyed and forgotten on
 * `closed`. With `template.label`, adding the label acts as `opened` and removing it as `closed`.
 */
export class ReviewEnvironments {
  constructor(private readonly services: Services) {}

  async handle(pr: PullRequest): Promise<ReviewOutcome[]> {
    const templates = await this.services.reviewTemplates.forRepository(pr.repository);
    const outcomes: ReviewOutcome[] = [];
    for (const template of templates) outcomes.push(await this.apply(template, pr));
    return outcomes;
  }

  private async apply(template: ReviewTemplate, pr: PullRequest): Promise<ReviewOutcome> {
    const name = reviewEnvironmentName(template.namePattern, pr.repository, pr.number);
    const of = reviewRef(pr.repository, pr.number);
    const ignored = (why: string): ReviewOutcome => ({ message: `${template.name}: ${why}` });
    if (pr.action === 'closed') return this.close(template, name, of, pr, 'closed', true);
    if (pr.fromFork && !template.allowForks) {
      return ignored(`${of} comes from a fork and the template does not allow forks`);
    }
    if (template.label) {
      if (pr.action === 'unlabeled' && pr.label === template.label) {
        return this.close(template, name, of, pr, `label "${template.label}" removed`, false);
      }
      if (!pr.labels.includes(template.label)) {
        return ignored(`${of} does not carry the label "${template.label}"`);
      }
    }
    const deploys =
      DEPLOYING.has(pr.action) ||
      (pr.action === 'labeled' && template.label !== undefined && pr.label === template.label);
    if (!deploys) return ignored(`nothing to do on "${pr.action}"`);
    if (pr.action === 'reopened')
      await this.services.redis.del(this.services.keys.reviewClosed(of));
    return this.deploy(template, name, of, pr);
  }

  private trigger(pr: PullRequest): Trigger {
    return {
      kind: 'webhook',
      repository: pr.repository,
      pullRequest: pr.number,
      ...(pr.headRef ? { branch: pr.headRef } : {}),
      ...(pr.headSha ? { commit: pr.headSha } : {}),
      ...(pr.sender ? { actor: pr.sender } : {}),
    };
  }

  private async deploy(
    template: ReviewTemplate,
    name: string,
    of: string,
    pr: PullRequest,
  ): Promise<ReviewOutcome> {
    const { store, lifecycle, redis, keys } = this.services;
    if ((await redis.exists(keys.reviewClosed(of))) === 1) {
      return { message: `${template.name}: ${of} is closed` };
    }
    const existing = await store.getEnvironment(name);
    if (existing) {
      if (existing.reviewOf !== of) {
        return {
          message: `${template.name}: environment "${name}" exists and does not review ${of}`,
        };
      }
      if (existing.status === 'destroying') {
        return { message: `${template.name}: environment "${name}" is being destroyed` };
      }
      // Coalesced like a push: this up supersedes any up still waiting for the environment.
      const deployment = newDeployment(existing, 'up', this.trigger(pr));
      await lifecycle.enqueue(deployment);
      return { message: `${template.name}: redeploying ${name}`, deployment };
    }
    const env: EnvironmentRecord = {
      ...newEnvironment(
        {
          name,
          ...(template.blueprint !== undefined ? { blueprint: template.blueprint } : {}),
          ...(template.layers ? { layers: template.layers } : {}),
          ...(template.config ? { config: template.config } : {}),
          ...(template.stage ? { stage: template.stage } : {}),
          ...(template.ttl ? { ttl: template.ttl } : {}),
          // A preview of unmerged code asks nobody; the template's stage sets what it may reach.
          requireApproval: false,
        },
        this.services.settings.driftMinIntervalMs,
      ),
      reviewOf: of,
      reviewTemplate: template.name,
    };
    const deployment = newDeployment(env, 'up', this.trigger(pr));
    try {
      await store.createEnvironment(env);
    } catch (error) {
      // Another delivery for this pull request created it a moment ago.
      if (error instanceof ConflictError) return this.deploy(template, name, of, pr);
      throw error;
    }
    await queueFirstDeployment(this.services, env, deployment);
    // A close that arrived while this create ran did not see the environment: destroy it now,
    // behind the up on the environment's line.
    if ((await redis.exists(keys.reviewClosed(of))) === 1) {
      await this.close(template, name, of, pr, 'closed while it was being created', false);
    }
    return { message: `${template.name}: creating ${name} for ${of}`, deployment };
  }

  private async close(
    template: ReviewTemplate,
    name: string,
    of: string,
    pr: PullRequest,
    why: string,
    remember: boolean,
  ): Promise<ReviewOutcome> {
    const { store, lifecycle, redis, keys } = this.services;
    if (remember) await redis.set(keys.reviewClosed(of), '1', 'EX', CLOSED_MEMORY_SECONDS);
    const env = await store.getEnvironment(name);
    if (env?.reviewOf !== of) return { message: `${template.name}: ${of} has no environment` };
    // Queued behind whatever the environment runs or waits for, including the create's up;
    // once it succeeds the worker forgets the environment.
    const deployment = newDeployment(env, 'destroy', this.trigger(pr), { forget: true });
    await lifecycle.enqueue(deployment);
    return { message: `${template.name}: destroying ${name} (${why})`, deployment };
  }
}
