import fs from 'node:fs';
import type { FastifyRequest, onRequestAsyncHookHandler } from 'fastify';
import fp from 'fastify-plugin';
import { digest, safeEqualDigests } from '../../core/crypto';
import { ForbiddenError, UnauthorizedError } from '../errors';

export const SCOPES = ['read', 'deploy', 'secrets:read', 'admin'] as const;
export type Scope = (typeof SCOPES)[number];

/** Marks the onRequest hook that `authorize(scope)` returns with its scope. */
export const SCOPE_OF = Symbol('strata.scope');

/** The scope a route's onRequest hook(s) require, if any. */
export function scopeOf(onRequest: unknown): Scope | undefined {
  const handlers: unknown[] = Array.isArray(onRequest) ? onRequest : [onRequest];
  for (const handler of handlers) {
    if (typeof handler === 'function' && SCOPE_OF in handler) {
      return (handler as unknown as Record<typeof SCOPE_OF, Scope>)[SCOPE_OF];
    }
  }
  return undefined;
}

export interface Principal {
  name: string;
  scopes: Scope[];
}

interface TokenEntry extends Principal {
  token: string;
}

declare module 'fastify' {
  interface FastifyInstance {
    /**
     * onRequest hook that lets through only tokens with `scope` (admin has every scope). It runs
     * before the body is parsed or validated: a request without a valid token learns nothing
     * about what its body should have been.
     */
    authorize(scope: Scope): onRequestAsyncHookHandler;
  }
  interface FastifyRequest {
    principal?: Principal;
  }
}

/** Reads STRATA_TOKENS_FILE: `[{ "name": "ci", "token": "…", "scopes": ["read", "deploy"] }]`. */
export function loadTokens(file: string): TokenEntry[] {
  const parsed: unknown = JSON.parse(fs.readFileSync(file, 'utf8'));
  const list = Array.isArray(parsed) ? parsed : (parsed as { tokens?: unknown }).tokens;
  if (!Array.isArray(list)) throw new Error(`${file}: expected a list of { name, token, scopes }`);
  return list.map((entry: unknown, i) => {
    const e = entry as Partial<TokenEntry>;
    if (typeof e.name !== 'string' || typeof e.token !== 'string' || e.token.length < 16) {
      throw new Error(`${file}: entry ${i} needs a name and a token of at least 16 characters`);
    }
    const scopes = Array.isArray(e.scopes) ? e.scopes : [];
    const unknown = scopes.filter((s) => !SCOPES.includes(s));
    if (unknown.length > 0)
      throw new Error(`${file}: entry ${e.name} has unknown scopes ${unknown.join(', ')}`);
    return { name: e.name, token: e.token, scopes };
  });
}

function bearer(request: FastifyRequest): string {
  const header = request.headers.authorization;
  if (!header)
    throw new UnauthorizedError('missing bearer token: send "Authorization: Bearer <token>"');
  const match = /^Bearer\s+(\S+)\s*$/i.exec(header);
  if (!match?.[1]) throw new UnauthorizedError('the Authorization header must be "Bearer <token>"');
  return match[1];
}

export default fp<{ apiToken: string; tokensFile?: string }>(
  async (app, options) => {
    // Digests compared in constant time: equal lengths, and hashing each known token once
    // rather than on every request.
    const tokens = [
      { name: 'admin', token: options.apiToken, scopes: ['admin'] as Scope[] },
      ...(options.tokensFile ? loadTokens(options.tokensFile) : []),
    ].map((entry) => ({ name: entry.name, scopes: entry.scopes, digest: digest(entry.token) }));
    const identify = (request: FastifyRequest): Principal => {
      const presented = digest(bearer(request));
      // Compare against every token so the time taken says nothing about which one matched.
      let found: (typeof tokens)[number] | undefined;
      for (const entry of tokens) if (safeEqualDigests(entry.digest, presented)) found ??= entry;
      if (!found) throw new UnauthorizedError('the bearer token is not valid');
      return { name: found.name, scopes: found.scopes };
    };
    app.decorateRequest('principal', undefined);
    app.decorate('authorize', (scope: Scope): onRequestAsyncHookHandler => {
      const handler: onRequestAsyncHookHandler = async (request) => {
        const principal = identify(request);
        if (!principal.scopes.includes(scope) && !principal.scopes.includes('admin')) {
          throw new ForbiddenError(
            `token "${principal.name}" lacks the "${scope}" scope this call needs`,
          );
        }
        request.principal = principal;
      };
      // The OpenAPI document reads the scope a route needs from its onRequest hook.
      return Object.assign(handler, { [SCOPE_OF]: scope });
    });
  },
  { name: 'strata-auth' },
);
