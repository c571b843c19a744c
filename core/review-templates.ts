import { createHash } from 'node:crypto';
import type { Redis } from 'ioredis';
import type { JsonObject, LayerName, Stage, TargetName } from './domain';
import { ConflictError, NotFoundError } from './errors';
import type { RedisKeys } from './redis-keys';

/** How the environments of a repository's pull requests are made. */
export interface ReviewTemplate {
  name: string;
  /** `owner/name`, compared without case as GitHub does. */
  repository: string;
  blueprint?: string;
  layers?: Partial<Record<LayerName, { target: TargetName; config?: JsonObject }>>;
  config?: JsonObject;
  stage?: Stage;
  ttl?: string;
  /** `{repo}`, `{owner}` and `{number}` are replaced; the result is always a valid name. */
  namePattern: string;
  /** Only pull requests carrying this label get an environment. */
  label?: string;
  /** Whether pull requests from forks get an environment (they run the fork's code). */
  allowForks: boolean;
  createdAt: string;
  updatedAt: string;
}

export const DEFAULT_NAME_PATTERN = '{repo}-pr-{number}';
const NAME = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;
const MAX_NAME = 40;

const slug = (text: string): string =>
  text
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, '-')
    .replace(/^-+|-+$/g, '');

const shortHash = (text: string): string =>
  createHash('sha256').update(text).digest('hex').slice(0, 6);

/**
 * The environment name of pull request `number` of `repository`. A repository name too long for
 * the 40 characters is cut and followed by a short hash of the whole name, so two long names
 * that share a beginning still give two environments, and the PR number stays readable.
 */
export function reviewEnvironmentName(pattern: string, repository: string, number: number): string {
  const [owner = '', repo = ''] = repository.split('/');
  const raw = (repoPart: string) =>
    pattern
      .replaceAll('{repo}', repoPart)
      .replaceAll('{owner}', slug(owner))
      .replaceAll('{number}', String(number));
  const render = (repoPart: string) => slug(raw(repoPart));
  let name = render(slug(repo));
  if (name.length > MAX_NAME) {
    const occurrences = Math.max(1, pattern.split('{repo}').length - 1);
    const budget = Math.floor((MAX_NAME - raw('').length) / occurrences) - 7;
    const cut = slug(slug(repo).slice(0, Math.max(0, budget)));
    name = render(cut ? `${cut}-${shortHash(repository.toLowerCase())}` : shortHash(repository));
  }
  if (!/^[a-z]/.test(name)) name = `pr-${name}`;
  if (name.length > MAX_NAME) {
    // The pattern's own text is too long: keep its start and make it unique with a hash.
    name = `${slug(name.slice(0, MAX_NAME - 7))}-${shortHash(`${repository}#${number}`)}`;
  }
  while (name.length < 3) name = `${name}-pr`.replace(/^-/, '');
  if (!NAME.test(name)) throw new Error(`cannot make an environment name from "${pattern}"`);
  return name;
}

/** Why a name pattern cannot serve, or undefined when it can. */
export function namePatternProblem(pattern: string): string | undefined {
  if (!pattern.includes('{number}')) {
    return 'body.namePattern: must contain {number}, so that each pull request gets its own environment';
  }
  const unknown = pattern.match(/\{(?!repo\}|owner\}|number\})[^}]*\}/);
  if (unknown)
    return `body.namePattern: unknown placeholder ${unknown[0]} (use {repo}, {owner}, {number})`;
  return undefined;
}

/** `<owner>/<repo>#<number>`: what a review environment records it previews. */
export const reviewRef = (repository: string, number: number): string =>
  `${repository.toLowerCase()}#${number}`;

/** Review templates in Redis: one JSON record each, and their names in a sorted set. */
export class ReviewTemplates {
  constructor(
    private readonly redis: Redis,
    private readonly keys: RedisKeys,
  ) {}

  async get(name: string): Promise<ReviewTemplate | undefined> {
    const raw = await this.redis.get(this.keys.reviewTemplate(name));
    return raw === null ? undefined : (JSON.parse(raw) as ReviewTemplate);
  }

  async require(name: string): Promise<ReviewTemplate> {
    const template = await this.get(name);
    if (!template) throw new NotFoundError(`review template "${name}" not found`);
    return template;
  }

  async list(): Promise<ReviewTemplate[]> {
    const names = await this.redis.zrange(this.keys.reviewTemplates(), '0', '-1');
    const records = await Promise.all(names.map((n) => this.get(n)));
    return records.filter((r): r is ReviewTemplate => r !== undefined);
  }

  async forRepository(repository: string): Promise<ReviewTemplate[]> {
    const wanted = repository.toLowerCase();
    return (await this.list()).filter((t) => t.repository.toLowerCase() === wanted);
  }

  async create(template: ReviewTemplate): Promise<void> {
    const created = await this.redis.set(
      this.keys.reviewTemplate(template.name),
      JSON.stringify(template),
      'NX',
    );
    if (created !== 'OK')
      throw new ConflictError(`review template "${template.name}" already exists`);
    await this.redis.zadd(
      this.keys.reviewTemplates(),
      Date.parse(template.createdAt),
      template.name,
    );
  }

  async replace(template: ReviewTemplate): Promise<void> {
    const replaced = await this.redis.set(
      this.keys.reviewTemplate(template.name),
      JSON.stringify(template),
      'XX',
    );
    if (replaced !== 'OK') throw new NotFoundError(`review template "${template.name}" not found`);
  }

  /** Environments made from it stay until their pull request closes or their TTL ends. */
  async delete(name: string): Promise<void> {
    const removed = await this.redis.del(this.keys.reviewTemplate(name));
    await this.redis.zrem(this.keys.reviewTemplates(), name);
    if (removed === 0) throw new NotFoundError(`review template "${name}" not found`);
  }
}
