import { Type } from '@sinclair/typebox';
import type { LayerName } from '../../core/domain';
import type { ProgramArgs } from '../lib/types';

/**
 * Config pieces shared by the cloudflare layers. Account and zone are optional in the schema so
 * a blueprint can be planned without them: a layer lists the ones it always needs in
 * `requiredToDeploy` (refused at create), and `deployId` stands guard for the ones it needs only
 * for some of its config.
 */
export const accountId = Type.Optional(
  Type.String({
    pattern: '^[0-9a-f]{32}$',
    description: 'Cloudflare account ID (32 hex characters).',
  }),
);
export const zoneId = Type.Optional(
  Type.String({
    pattern: '^[0-9a-f]{32}$',
    description: 'Cloudflare zone ID of the domain (32 hex characters).',
  }),
);

/**
 * The account or zone ID a Cloudflare resource needs. An offline plan has no account to name,
 * so a visible `unset-<field>` stands in there; anywhere else a missing ID fails here, naming
 * the config field, because Cloudflare would refuse the placeholder only halfway through an `up`.
 */
export function deployId(
  args: ProgramArgs<unknown>,
  layer: LayerName,
  field: 'accountId' | 'zoneId',
  value: string | undefined,
  neededFor: string,
): string {
  if (value !== undefined && value !== '') return value;
  if (args.runtime.offline === true) return `unset-${field}`;
  throw new Error(
    `layers.${layer}.config.${field}: required to deploy on cloudflare (${neededFor})`,
  );
}

export const DnsRecord = Type.Object(
  {
    name: Type.String({
      pattern: '^(@|[a-z0-9*]([a-z0-9.-]{0,251}[a-z0-9])?)$',
      description: 'Record name, relative to the zone or fully qualified; @ for the apex.',
    }),
    type: Type.Union(
      [Type.Literal('A'), Type.Literal('AAAA'), Type.Literal('CNAME'), Type.Literal('TXT')],
      {
        default: 'A',
        description: 'Record type.',
      },
    ),
    content: Type.Optional(
      Type.String({
        minLength: 1,
        maxLength: 2048,
        description:
          'Value; A records without one point at the addresses another layer reports (e.g. hcloud ingress IPs).',
      }),
    ),
    proxied: Type.Boolean({
      default: true,
      description: "Through Cloudflare's proxy (DDoS protection, caching, WAF).",
    }),
    ttl: Type.Integer({
      minimum: 1,
      maximum: 86400,
      default: 1,
      description: 'TTL seconds; 1 = automatic (required when proxied).',
    }),
  },
  { additionalProperties: false },
);

export const RateLimit = Type.Object(
  {
    name: Type.String({ pattern: '^[a-z][a-z0-9-]{0,40}$', description: 'Rule name.' }),
    pathPrefix: Type.String({
      pattern: '^/',
      default: '/',
      description: 'Requests whose path starts with this count.',
    }),
    requestsPerPeriod: Type.Integer({
      minimum: 1,
      maximum: 1000000,
      default: 100,
      description: 'Allowed requests per client IP per period.',
    }),
    period: Type.Union(
      [10, 60, 120, 300, 600, 3600].map((p) => Type.Literal(p)),
      { default: 60, description: 'Counting period, seconds.' },
    ),
    mitigationTimeout: Type.Integer({
      minimum: 0,
      maximum: 86400,
      default: 600,
      description: 'How long a client stays blocked, seconds.',
    }),
    action: Type.Union(
      [Type.Literal('block'), Type.Literal('managed_challenge'), Type.Literal('log')],
      {
        default: 'block',
        description: 'What happens above the limit.',
      },
    ),
  },
  { additionalProperties: false },
);

export const Worker = Type.Object(
  {
    name: Type.String({
      pattern: '^[a-z][a-z0-9-]{0,50}$',
      description: 'Script name (prefixed with the environment).',
    }),
    routes: Type.Array(Type.String({ pattern: '^[A-Za-z0-9*.-]+(/.*)?$' }), {
      default: [],
      maxItems: 20,
      description: 'Route patterns on the zone, e.g. "hooks.example.com/aircall*".',
    }),
    content: Type.Optional(
      Type.String({
        minLength: 1,
        description:
          'ES module source; unset: a 501 placeholder until CI (wrangler) deploys the real code.',
      }),
    ),
    vars: Type.Record(
      Type.String({ pattern: '^[A-Z][A-Z0-9_]*$' }),
      Type.String({ maxLength: 5000 }),
      {
        default: {},
        additionalProperties: false,
        description: 'Plain-text variables (no secrets: use wrangler secret put).',
      },
    ),
    bindBucket: Type.Boolean({
      default: false,
      description: "Bind the environment's R2 bucket as BUCKET.",
    }),
  },
  { additionalProperties: false },
);

/** DNS and security settings, used by the network layer and by the storage layer's `edge` block. */
export const edgeProperties = {
  records: Type.Array(DnsRecord, {
    default: [],
    maxItems: 100,
    description: 'DNS records of the zone.',
  }),
  rateLimits: Type.Array(RateLimit, {
    default: [],
    maxItems: 10,
    description: 'Per-IP rate limiting rules (http_ratelimit phase).',
  }),
  managedWaf: Type.Boolean({
    default: false,
    description: "Deploy Cloudflare's managed WAF ruleset (Pro plan or better).",
  }),
};

/** Workers settings, used by the serverless layer and by the storage layer's `edge` block. */
export const workerProperties = {
  workers: Type.Array(Worker, {
    default: [],
    maxItems: 30,
    description: 'Workers scripts and their routes.',
  }),
  compatibilityDate: Type.String({
    pattern: '^\\d{4}-\\d{2}-\\d{2}$',
    default: '2025-09-01',
    description: 'Workers runtime compatibility date.',
  }),
};
