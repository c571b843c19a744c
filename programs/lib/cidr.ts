/**
 * Address arithmetic and the one safety rule every target's firewall shares: database and
 * cache ports are never reachable from the whole internet. Pure functions, so the openstack and
 * gcp programs use them too.
 */

/** Ports of stores that must never face 0.0.0.0/0 or ::/0 (PostgreSQL, Redis, MongoDB, MySQL). */
export const DATA_PORTS: readonly number[] = [5432, 6379, 27017, 3306];

export const IPV4_CIDR = '^(\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}$';
export const ANY_CIDR = '^((\\d{1,3}\\.){3}\\d{1,3}/\\d{1,2}|[0-9a-fA-F:]+/\\d{1,3})$';
export const IPV4 = '^(\\d{1,3}\\.){3}\\d{1,3}$';

function toInt(ip: string): number {
  return ip.split('.').reduce((acc, part) => acc * 256 + Number(part), 0);
}

function toIp(value: number): string {
  return [24, 16, 8, 0].map((shift) => Math.floor(value / 2 ** shift) % 256).join('.');
}

/** The `index`-th address of an IPv4 CIDR, e.g. ("10.0.1.0/24", 10) -> "10.0.1.10". */
export function hostAddress(cidr: string, index: number): string {
  const [base = '', bits = '32'] = cidr.split('/');
  const size = 2 ** (32 - Number(bits));
  if (index <= 0 || index >= size - 1) {
    throw new Error(`address #${index} does not fit in ${cidr} (${size} addresses)`);
  }
  const network = toInt(base) - (toInt(base) % size);
  return toIp(network + index);
}

export function isWorld(cidr: string): boolean {
  return cidr.trim().endsWith('/0');
}

/** "5432", "5000-6000", "any" or undefined (all ports) -> whether `port` is inside. */
export function portSpecIncludes(spec: string | undefined, port: number): boolean {
  if (spec === undefined || spec === '' || spec === 'any') return true;
  const [from, to = from] = spec.split('-').map(Number);
  return from !== undefined && to !== undefined && port >= from && port <= to;
}

export interface IngressRuleLike {
  label: string;
  protocol: string;
  ports?: string;
  sources: readonly string[];
}

/**
 * Throws when a rule opens a database or cache port to the whole internet. Programs call it
 * before creating anything, so a bad rule list fails the deployment instead of exposing data.
 */
export function assertNoPublicDataPorts(rules: readonly IngressRuleLike[]): void {
  for (const rule of rules) {
    if (!['tcp', 'udp', 'all', '-1'].includes(rule.protocol.toLowerCase())) continue;
    const world = rule.sources.find(isWorld);
    if (!world) continue;
    const exposed = DATA_PORTS.filter((port) => portSpecIncludes(rule.ports, port));
    if (exposed.length > 0) {
      throw new Error(
        `${rule.label}: opens port ${exposed.join(', ')} to ${world}; database and cache ports may only be reached from private ranges`,
      );
    }
  }
}
