import type { Redis } from 'ioredis';
import { randomBytes } from 'node:crypto';
import { decrypt, encrypt, sha256 } from './crypto';
import type { Bundle } from './bundle';
import type { DeploymentRecord, EnvironmentRecord, Source } from './domain';
import { ConflictError, FencedError, NotFoundError } from './errors';
import { luaScript } from './lua-script';
import type { RedisKeys } from './redis-keys';

/** A lease whose holder alone may make a write: `key` must still hold `token`. */
export interface Fence {
  key: string;
  /** The holder's token; `null` for a write that must happen only while nobody holds the key. */
  token: string | null;
}

const MAX_RETRIES = 50;

const pageScript = luaScript('page');

/** Where a page of a list ended: the last item's sort score and its member. */
export interface PagePosition {
  score: number;
  member: string;
}

export interface Page<T> {
  items: T[];
  /** Where the next page starts; absent on the last page. */
  next?: PagePosition;
}

function environmentNotFound(name: string): NotFoundError {
  return new NotFoundError(`environment "${name}" not found`);
}

/** Environments whose opened bundle an API process keeps (see openBundle). */
const OPENED_BUNDLES = 256;

/**
 * The service's own records in Redis. Updates are read-modify-write under WATCH, so an API
 * process and a worker changing one record at the same time never lose each other's write.
 */
export class Store {
  /**
   * WATCH lives on a connection, and any EXEC on that connection clears it. Updates therefore
   * get a connection of their own, used by one update at a time, so no other command in this
   * process can silently drop the watch that protects them from other processes.
   */
  private updates?: Redis;
  private updateChain: Promise<unknown> = Promise.resolve();
  private readonly opened = new Map<string, { sealed: string; bundle: Bundle }>();

  constructor(
    readonly redis: Redis,
    readonly keys: RedisKeys,
    private readonly bundleKey: string,
  ) {}

  private serially<T>(work: (connection: Redis) => Promise<T>): Promise<T> {
    // Created on first use, so it may still be connecting: let its commands wait for that (the
    // command timeout, where one is set, still bounds them).
    this.updates ??= this.redis.duplicate({ enableOfflineQueue: true });
    const connection = this.updates;
    const run = this.updateChain.then(
      () => work(connection),
      () => work(connection),
    );
    this.updateChain = run.catch(() => undefined);
    return run;
  }

  close(): void {
    this.updates?.disconnect();
  }

  private async getJson<T>(key: string): Promise<T | undefined> {
    const raw = await this.redis.get(key);
    return raw === null ? undefined : (JSON.parse(raw) as T);
  }

  private updateJson<T>(
    key: string,
    what: string,
    mutate: (value: T) => T | undefined,
    fence?: Fence,
  ): Promise<T> {
    return this.serially(async (redis) => {
      for (let attempt = 0; attempt < MAX_RETRIES; attempt++) {
        await redis.watch(key, ...(fence ? [fence.key] : []));
        if (fence && (await redis.get(fence.key)) !== fence.token) {
          await redis.unwatch();
          throw new FencedError(`${what}: this attempt no longer holds the environment`);
        }
        const raw = await redis.get(key);
        if (raw === null) {
          await redis.unwatch();
          throw new NotFoundError(`${what} not found`);
        }
        const next = mutate(JSON.parse(raw) as T);
        if (next === undefined) {
          await redis.unwatch();
          return JSON.parse(raw) as T;
        }
        const result = await redis.multi().set(key, JSON.stringify(next)).exec();
        if (result !== null) return next;
        // Two writers in lockstep would keep beating each other to EXEC: back off a random while.
        await new Promise((resolve) =>
          setTimeout(resolve, Math.random() * Math.min(50, 2 ** attempt)),
        );
      }
      throw new ConflictError(`${what} is changing too fast to update; try again`);
    });
  }

  // Environments

  /** Creates the record, or throws ConflictError when the name is taken. */
  async createEnvironment(env: EnvironmentRecord): Promise<void> {
    const keys = this.keys;
    const created = await this.redis.set(keys.environment(env.name), JSON.stringify(env), 'NX');
    if (created !== 'OK') throw new ConflictError(`environment "${env.name}" already exists`);
    const multi = this.redis.multi().zadd(keys.environments(), Date.parse(env.createdAt), env.name);
    if (env.source) multi.sadd(keys.source(env.source.repo, env.source.branch), env.name);
    await multi.exec();
  }

  getEnvironment(name: string): Promise<EnvironmentRecord | undefined> {
    return this.getJson<EnvironmentRecord>(this.keys.environment(name));
  }

  async requireEnvironment(name: string): Promise<EnvironmentRecord> {
    const env = await this.getEnvironment(name);
    if (!env) throw environmentNotFound(name);
    return env;
  }

  /** An environment and its bundle, read with one command: all the `.env` route waits for. */
  async requireEnvironmentAndBundle(
    name: string,
  ): Promise<{ env: EnvironmentRecord; bundle?: Bundle }> {
    const [raw, sealed] = await this.redis.mget(
      this.keys.environment(name),
      this.keys.bundle(name),
    );
    if (raw === null || raw === undefined) throw environmentNotFound(name);
    const env = JSON.parse(raw) as EnvironmentRecord;
    if (sealed === null || sealed === undefined) {
      this.opened.delete(name);
      return { env };
    }
    return { env, bundle: this.openBundle(name, sealed) };
  }

  /** A page of environments, newest first, after `after` (a position a previous page gave). */
  async pageEnvironments(limit: number, after?: PagePosition): Promise<Page<EnvironmentRecord>> {
    const page = await this.page(this.keys.environments(), limit, after);
    const records = await Promise.all(page.members.map((m) => this.getEnvironment(m.member)));
    return {
      items: records.filter((r): r is EnvironmentRecord => r !== undefined),
      next: page.next,
    };
  }

  /** A page of an environment's deployments, newest first. */
  async pageDeployments(
    environment: string,
    limit: number,
    after?: PagePosition,
  ): Promise<Page<DeploymentRecord>> {
    const page = await this.page(this.keys.environmentDeployments(environment), limit, after);
    const records = await Promise.all(page.members.map((m) => this.getDeployment(m.member)));
    return {
      items: records.filter((r): r is DeploymentRecord => r !== undefined),
      next: page.next,
    };
  }

  private async page(
    key: string,
    limit: number,
    after?: PagePosition,
  ): Promise<{ members: PagePosition[]; next?: PagePosition }> {
    const flat = (await pageScript.run(
      this.redis,
      [key],
      after ? [String(after.score), after.member, limit] : ['+inf', '', limit],
    )) as string[];
    const members: PagePosition[] = [];
    for (let i = 0; i + 1 < flat.length; i += 2) {
      members.push({ member: flat[i] as string, score: Number(flat[i + 1]) });
    }
    const more = members.length > limit;
    const shown = members.slice(0, limit);
    return { members: shown, next: more ? shown.at(-1) : undefined };
  }

  async listEnvironments(): Promise<EnvironmentRecord[]> {
    const names = await this.redis.zrange(this.keys.environments(), '0', '-1');
    const records = await Promise.all(names.map((n) => this.getEnvironment(n)));
    return records.filter((r): r is EnvironmentRecord => r !== undefined);
  }

  /** `fence` limits the write to the attempt holding the environment's lease. */
  updateEnvironment(
    name: string,
    mutate: (env: EnvironmentRecord) => EnvironmentRecord | undefined,
    fence?: Fence,
  ): Promise<EnvironmentRecord> {
    return this.updateJson(
      this.keys.environment(name),
      `environment "${name}"`,
      (env: EnvironmentRecord) => {
        const next = mutate(env);
        return next && { ...next, updatedAt: new Date().toISOString() };
      },
      fence,
    );
  }

  /** Forgets an environment and everything Strata kept about it (not its infrastructure). */
  async deleteEnvironment(name: string, known?: EnvironmentRecord): Promise<void> {
    const keys = this.keys;
    // `known` for a record already gone (a destroy's end removes it with the deployment).
    const env = known ?? (await this.getEnvironment(name));
    if (env?.source) await this.redis.srem(keys.source(env.source.repo, env.source.branch), name);
    const deployments = await this.redis.zrange(keys.environmentDeployments(name), '0', '-1');
    const hook = await this.redis.get(keys.environmentHook(name));
    const multi = this.redis
      .multi()
      .del(
        keys.environment(name),
        keys.environmentAwaiting(name),
        keys.environmentDeployments(name),
        keys.bundle(name),
        keys.environmentQueue(name),
        keys.environmentCurrent(name),
        keys.environmentLease(name),
      )
      .zrem(keys.environments(), name);
    if (hook) multi.del(keys.hook(hook), keys.environmentHook(name));
    // Deployment records and event streams outlive the environment for a week, for audit.
    for (const id of deployments) {
      multi.expire(keys.deployment(id), 7 * 24 * 3600);
      multi.expire(keys.events(id), 7 * 24 * 3600);
      multi.expire(keys.eventSequence(id), 7 * 24 * 3600);
    }
    await multi.exec();
  }

  // Deployments

  getDeployment(id: string): Promise<DeploymentRecord | undefined> {
    return this.getJson<DeploymentRecord>(this.keys.deployment(id));
  }

  async requireDeployment(id: string): Promise<DeploymentRecord> {
    const deployment = await this.getDeployment(id);
    if (!deployment) throw new NotFoundError(`deployment "${id}" not found`);
    return deployment;
  }

  /** Newest first, every one (the paginated route uses pageDeployments). */
  async listDeployments(environment: string): Promise<DeploymentRecord[]> {
    const keys = this.keys;
    const ids = await this.redis.zrevrange(keys.environmentDeployments(environment), '0', '-1');
    const records = await Promise.all(ids.map((id) => this.getDeployment(id)));
    return records.filter((r): r is DeploymentRecord => r !== undefined);
  }

  /** Moves an environment in the source index after its `source` changed. */
  async reindexSource(
    name: string,
    before: Source | undefined,
    after: Source | undefined,
  ): Promise<void> {
    const keys = this.keys;
    const multi = this.redis.multi();
    if (before) multi.srem(keys.source(before.repo, before.branch), name);
    if (after) multi.sadd(keys.source(after.repo, after.branch), name);
    await multi.exec();
  }

  /** Environments that follow this repository and branch. */
  async environmentsForSource(repo: string, branch: string): Promise<string[]> {
    return (await this.redis.smembers(this.keys.source(repo, branch))).sort();
  }

  // Deploy hooks: only a hash of the token is kept, so a Redis dump does not hand out deploys.

  /** Issues a new hook token for the environment, revoking the previous one; returns the token. */
  async rotateHook(environment: string): Promise<string> {
    const keys = this.keys;
    const token = randomBytes(24).toString('base64url');
    const previous = await this.redis.get(keys.environmentHook(environment));
    const multi = this.redis.multi();
    if (previous) multi.del(keys.hook(previous));
    await multi
      .set(keys.hook(sha256(token)), environment)
      .set(keys.environmentHook(environment), sha256(token))
      .exec();
    return token;
  }

  async environmentForHook(token: string): Promise<string | undefined> {
    return (await this.redis.get(this.keys.hook(sha256(token)))) ?? undefined;
  }

  // Bundles: encrypted at rest, because they hold database passwords and access keys.

  async saveBundle(bundle: Bundle): Promise<void> {
    await this.redis.set(
      this.keys.bundle(bundle.environment),
      encrypt(this.bundleKey, JSON.stringify(bundle)),
    );
  }

  async getBundle(environment: string): Promise<Bundle | undefined> {
    const sealed = await this.redis.get(this.keys.bundle(environment));
    return sealed === null ? undefined : this.unsealBundle(sealed);
  }

  private unsealBundle(sealed: string): Bundle {
    return JSON.parse(decrypt(this.bundleKey, sealed)) as Bundle;
  }

  /**
   * The sealed text's bundle, for the `.env` route. The last one opened per environment is kept
   * with the text it came from: downloads of an unchanged bundle then skip AES-GCM and JSON
   * parsing, most of the route's CPU. Redis is still read every time, so a change is seen at
   * once. The kept bundle is frozen, since every request shares it.
   */
  private openBundle(environment: string, sealed: string): Bundle {
    const kept = this.opened.get(environment);
    if (kept?.sealed === sealed) return kept.bundle;
    const bundle = this.unsealBundle(sealed);
    for (const entry of bundle.entries) Object.freeze(entry);
    Object.freeze(bundle.entries);
    Object.freeze(bundle);
    this.opened.delete(environment);
    this.opened.set(environment, { sealed, bundle });
    // Maps keep insertion order: the first key is the one opened longest ago.
    if (this.opened.size > OPENED_BUNDLES) {
      const oldest = this.opened.keys().next();
      if (!oldest.done) this.opened.delete(oldest.value);
    }
    return bundle;
  }

  async deleteBundle(environment: string): Promise<void> {
    await this.redis.del(this.keys.bundle(environment));
  }
}
