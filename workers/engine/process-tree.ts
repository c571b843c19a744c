import fs from 'node:fs';

/** What /proc/<pid>/stat says of a process; undefined once it is gone. */
export interface ProcessStat {
  /** R, S, D, Z (a zombie: ended, not yet reaped), … */
  state: string;
  parent: number;
  /** Every field from the state on: `fields[n - 3]` is field n of proc(5). */
  fields: string[];
}

export function processStat(pid: number | string): ProcessStat | undefined {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name is in parentheses and may hold spaces: fields start after the last ')'.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return { state: fields[0] ?? '', parent: Number(fields[1]), fields };
  } catch {
    return undefined;
  }
}

/** Parent pid of every process, read from /proc; undefined where there is no /proc. */
function parents(): Map<number, number> | undefined {
  let entries: string[];
  try {
    entries = fs.readdirSync('/proc');
  } catch {
    return undefined;
  }
  const result = new Map<number, number>();
  for (const entry of entries) {
    if (!/^\d+$/.test(entry)) continue;
    const stat = processStat(entry);
    if (stat) result.set(Number(entry), stat.parent);
  }
  return result;
}

/** Every process below `root` (children, grandchildren, …). */
export function descendants(root: number): number[] {
  const parentOf = parents();
  if (!parentOf) return [];
  const children = new Map<number, number[]>();
  for (const [pid, ppid] of parentOf) {
    const list = children.get(ppid) ?? [];
    list.push(pid);
    children.set(ppid, list);
  }
  const found: number[] = [];
  const pending = [root];
  while (pending.length > 0) {
    for (const child of children.get(pending.pop()!) ?? []) {
      found.push(child);
      pending.push(child);
    }
  }
  return found;
}

/** Signals `pid` unless it has already ended. */
export function signal(pid: number, name: NodeJS.Signals): void {
  try {
    process.kill(pid, name);
  } catch {
    // Already gone.
  }
}

/**
 * Kills every process below `root` (and `root` itself unless `keepRoot`). Plugins the pulumi
 * CLI starts run in process groups of their own, so a group kill would miss them: the tree is
 * frozen first (a frozen process cannot start another, and its children stay its children),
 * then killed.
 */
export function killTree(root: number, options: { keepRoot?: boolean } = {}): void {
  const frozen = new Set<number>();
  if (!options.keepRoot) {
    signal(root, 'SIGSTOP');
    frozen.add(root);
  }
  for (let round = 0; round < 10; round++) {
    const fresh = descendants(root).filter((pid) => !frozen.has(pid));
    if (fresh.length === 0) break;
    for (const pid of fresh) {
      signal(pid, 'SIGSTOP');
      frozen.add(pid);
    }
  }
  if (!fs.existsSync('/proc') && !options.keepRoot) signal(-root, 'SIGKILL');
  for (const pid of frozen) signal(pid, 'SIGKILL');
}
