import { execFileSync } from 'node:child_process';

/** One simulated machine: a network namespace of its own, or (fallback) just this host. */
export interface Machine {
  /** The command line that runs `argv` on this machine. */
  wrap(argv: string[]): string[];
  /** This machine's own address (inside its namespace), or loopback. */
  address: string;
}

export interface Machines {
  machines: Machine[];
  /** Where the machines reach the shared servers (Redis, PostgreSQL, Moto) on the host. */
  serverAddress: string;
  /** Whether each machine has a network namespace of its own. */
  namespaces: boolean;
  /** Why there are no namespaces, when there are none. */
  note?: string;
  close(): void;
}

function ip(...args: string[]): void {
  execFileSync('ip', args, { stdio: ['ignore', 'ignore', 'pipe'] });
}

function dotted(n: number): string {
  return [24, 16, 8, 0].map((shift) => (n >>> shift) & 255).join('.');
}

/** 198.18.0.0/15 is reserved for benchmarks: no real network uses it. */
const BENCHMARK_NET = (198 << 24) | (18 << 16);

function addressInUse(address: string): boolean {
  try {
    return execFileSync('ip', ['-o', 'addr'], { encoding: 'utf8' }).includes(` ${address}/`);
  } catch {
    return false;
  }
}

/**
 * `count` machines, each a network namespace joined to this host by a veth pair with a /30 in
 * 198.18.0.0/15. A namespace has a route to the server address alone, so its processes reach the
 * shared servers and loopback, and nothing else. Where namespaces cannot be made (no root, no
 * `ip`), every machine is this host, and `note` says so.
 */
export function createMachines(count: number): Machines {
  const tag = `${process.pid % 100_000}`;
  const made: string[] = [];
  const links: string[] = [];
  const close = (): void => {
    for (const ns of made.splice(0)) {
      try {
        ip('netns', 'del', ns);
      } catch {
        // Already gone.
      }
    }
    for (const link of links.splice(0)) {
      try {
        ip('link', 'del', link);
      } catch {
        // Went with its namespace.
      }
    }
  };
  try {
    // A block of `count` /30 subnets chosen by process id, moved on while any address is taken.
    let block = (process.pid * 7) % (32_768 - count);
    while (addressInUse(dotted(BENCHMARK_NET + block * 4 + 1))) block = (block + count) % 32_000;
    const subnet = (i: number) => BENCHMARK_NET + (block + i) * 4;
    const serverAddress = dotted(subnet(0) + 1);
    const machines: Machine[] = [];
    for (let i = 0; i < count; i++) {
      const ns = `strata-${tag}-${i}`;
      const host = `st${tag}h${i}`;
      const inside = `st${tag}n${i}`;
      const hostAddress = dotted(subnet(i) + 1);
      const address = dotted(subnet(i) + 2);
      ip('netns', 'add', ns);
      made.push(ns);
      ip('link', 'add', host, 'type', 'veth', 'peer', 'name', inside);
      links.push(host);
      ip('link', 'set', inside, 'netns', ns);
      ip('addr', 'add', `${hostAddress}/30`, 'dev', host);
      ip('link', 'set', host, 'up');
      ip('-n', ns, 'addr', 'add', `${address}/30`, 'dev', inside);
      ip('-n', ns, 'link', 'set', inside, 'up');
      // The Automation API and the plugins talk gRPC over loopback.
      ip('-n', ns, 'link', 'set', 'lo', 'up');
      if (hostAddress !== serverAddress) {
        ip('-n', ns, 'route', 'add', `${serverAddress}/32`, 'via', hostAddress);
      }
      machines.push({ address, wrap: (argv) => ['ip', 'netns', 'exec', ns, ...argv] });
    }
    return { machines, serverAddress, namespaces: true, close };
  } catch (error) {
    close();
    const stderr = (error as { stderr?: Buffer }).stderr?.toString().trim();
    return {
      machines: Array.from({ length: count }, () => ({
        address: '127.0.0.1',
        wrap: (argv: string[]) => argv,
      })),
      serverAddress: '127.0.0.1',
      namespaces: false,
      note: `network namespaces cannot be made here (${stderr || (error as Error).message}): each worker has its own data dir, but all share this host's network`,
      close,
    };
  }
}
