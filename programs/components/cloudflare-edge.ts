import * as cloudflare from '@pulumi/cloudflare';
import * as pulumi from '@pulumi/pulumi';

export interface EdgeRecord {
  name: string;
  type: string;
  content?: string;
  proxied: boolean;
  ttl: number;
}

export interface EdgeRateLimit {
  name: string;
  pathPrefix: string;
  requestsPerPeriod: number;
  period: number;
  mitigationTimeout: number;
  action: string;
}

export interface CloudflareEdgeArgs {
  prefix: string;
  zoneId: string;
  records: EdgeRecord[];
  /** Addresses for A records that have no content of their own, and how many are known now. */
  defaultTargets?: pulumi.Output<string[]>;
  defaultTargetCount?: number;
  rateLimits: EdgeRateLimit[];
  /** Run Cloudflare's managed WAF ruleset on the zone (needs a Pro plan or better). */
  managedWaf: boolean;
}

/** Cloudflare's Managed Ruleset, the same ID on every zone. */
const CLOUDFLARE_MANAGED_RULESET = 'efb7b8c949ac4650a09736fc376e9aee';

/** DNS records of a zone plus its security rules: per-IP rate limits and the managed WAF. */
export class CloudflareEdge extends pulumi.ComponentResource {
  readonly hostnames: pulumi.Output<string[]>;

  constructor(name: string, args: CloudflareEdgeArgs, opts?: pulumi.ComponentResourceOptions) {
    // Checked before anything registers, so a bad config leaves no half-made component.
    const orphan = args.records.find((r) => r.type === 'A' && r.content === undefined);
    if (orphan && !args.defaultTargets) {
      throw new Error(`DNS record ${orphan.name} has no content and no layer reports addresses`);
    }
    super('strata:cloudflare:Edge', name, {}, opts);
    const hostnames: pulumi.Output<string>[] = [];
    args.records.forEach((record, i) => {
      const key = `${name}-record-${i}`;
      const common = {
        zoneId: args.zoneId,
        name: record.name,
        type: record.type,
        proxied: record.proxied,
        // Cloudflare only accepts automatic TTL on proxied records.
        ttl: record.proxied ? 1 : record.ttl,
        comment: `strata ${args.prefix}`,
      };
      if (record.content !== undefined || record.type !== 'A') {
        const created = new cloudflare.DnsRecord(
          key,
          { ...common, content: record.content },
          { parent: this },
        );
        hostnames.push(created.name);
        return;
      }
      // One A record per target address: Cloudflare balances over them. The count comes from
      // what the dependency reported when the program started; a change re-runs this layer.
      const targets = args.defaultTargets ?? pulumi.output([]);
      for (let t = 0; t < Math.max(1, args.defaultTargetCount ?? 0); t++) {
        const created = new cloudflare.DnsRecord(
          `${key}-${t}`,
          { ...common, content: targets.apply((addresses) => addresses[t] ?? '') },
          { parent: this },
        );
        if (t === 0) hostnames.push(created.name);
      }
    });
    if (args.rateLimits.length > 0) {
      new cloudflare.Ruleset(
        `${name}-ratelimit`,
        {
          zoneId: args.zoneId,
          name: `${args.prefix} rate limits`,
          kind: 'zone',
          phase: 'http_ratelimit',
          rules: args.rateLimits.map((r) => ({
            ref: r.name,
            description: r.name,
            expression: `starts_with(http.request.uri.path, "${r.pathPrefix}")`,
            action: r.action,
            ratelimit: {
              characteristics: ['ip.src', 'cf.colo.id'],
              period: r.period,
              requestsPerPeriod: r.requestsPerPeriod,
              mitigationTimeout: r.action === 'block' ? r.mitigationTimeout : 0,
            },
          })),
        },
        { parent: this },
      );
    }
    if (args.managedWaf) {
      new cloudflare.Ruleset(
        `${name}-waf`,
        {
          zoneId: args.zoneId,
          name: `${args.prefix} managed WAF`,
          kind: 'zone',
          phase: 'http_request_firewall_managed',
          rules: [
            {
              ref: 'cloudflare-managed',
              description: 'Cloudflare Managed Ruleset',
              expression: 'true',
              action: 'execute',
              actionParameters: { id: CLOUDFLARE_MANAGED_RULESET },
            },
          ],
        },
        { parent: this },
      );
    }
    this.hostnames = pulumi.all(hostnames);
    this.registerOutputs({ hostnames: this.hostnames });
  }
}
