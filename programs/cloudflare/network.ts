import { Type } from '@sinclair/typebox';
import { CloudflareEdge } from '../components/cloudflare-edge';
import { splitList } from '../lib/ids';
import { defineLayer, optionalDependencyOutput, type ProgramArgs } from '../lib/types';
import { deployId, edgeProperties, zoneId } from './schemas';

/**
 * Addresses other layers report for A records without content: the network layer's ingress
 * addresses (e.g. hcloud primary IPs) when another target owns the network.
 */
export function ingressTargets(args: ProgramArgs<unknown>) {
  const ips = optionalDependencyOutput(args, 'network', 'ingressIps');
  if (!ips) return { targets: undefined, count: 0 };
  const reported = args.inputs.network?.ingressCount?.value;
  const count =
    typeof reported === 'number'
      ? reported
      : splitList(String(args.inputs.network?.ingressIps?.value ?? '')).length;
  return { targets: ips.apply(splitList), count };
}

export const cloudflareNetwork = defineLayer({
  target: 'cloudflare',
  layer: 'network',
  description:
    'Cloudflare as the edge of an environment: DNS records (proxied by default), per-IP rate limiting rules and optionally the managed WAF ruleset. Security rules live here because they belong to the zone, like the records.',
  config: Type.Object({ zoneId, ...edgeProperties }, { additionalProperties: false }),
  presets: { prod: { managedWaf: true } },
  // Everything this layer makes belongs to the zone.
  requiredToDeploy: ['zoneId'],
  outputs: [
    { name: 'hostnames', env: 'EDGE_HOSTNAMES', description: 'Record names, comma-separated.' },
  ],
  program: (args) => async () => {
    const c = args.config;
    const edge = new CloudflareEdge('edge', {
      prefix: args.environment,
      zoneId: deployId(args, 'network', 'zoneId', c.zoneId, 'DNS records and zone rules'),
      records: c.records,
      rateLimits: c.rateLimits,
      managedWaf: c.managedWaf,
    });
    return { hostnames: edge.hostnames.apply((h) => h.join(',')) };
  },
});
