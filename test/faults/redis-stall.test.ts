import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { uniqueName } from '../helpers/harness';
import { strataForSuite } from '../helpers/servers';
import { processStat } from '../../workers/engine/process-tree';

const OPERATIONS = new Set(['up', 'preview', 'refresh', 'destroy']);

interface Operation {
  pid: number;
  parent: number;
  line: string;
}

/**
 * Watches the machine for pulumi CLI operations of one installation and remembers the most that
 * ever ran at once on one stack (the CLI runs in its stack's work dir), with what they were.
 */
function watchOperations(dataDir: string): { stop(): { most: number; seen: string } } {
  const marker = `STRATA_DATA_DIR=${dataDir}\0`;
  let most = 0;
  let seen = '';
  const timer = setInterval(() => {
    const perStack = new Map<string, Operation[]>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (!argv[0]?.endsWith('pulumi') || !OPERATIONS.has(argv[1] ?? '')) continue;
        if (!fs.readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) continue;
        const stat = processStat(entry);
        if (!stat || stat.state === 'Z') continue;
        const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
        const list = perStack.get(cwd) ?? [];
        list.push({
          pid: Number(entry),
          parent: stat.parent,
          line: `pid ${entry} parent ${stat.parent} state ${stat.state} started ${stat.fields[22 - 3]}: ${argv.join(' ').trim()}`,
        });
        perStack.set(cwd, list);
      } catch {
        // Gone meanwhile.
      }
    }
    for (const [cwd, found] of perStack) {
      // The CLI starts its plugins with vfork: until the child's exec, /proc shows it with its
      // parent's command line, environment and work dir. It is the same operation, not another.
      const pids = new Set(found.map((operation) => operation.pid));
      const operations = found.filter((operation) => !pids.has(operation.parent));
      if (operations.length > most) {
        most = operations.length;
        seen = `${cwd}\n${found.map((operation) => operation.line).join('\n')}`;
      }
    }
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return { most, seen };
    },
  };
}

describe('a Redis stall longer than the lease', () => {
  const servers = strataForSuite({ privateRedis: true });

  it('never lets two operations run on one stack, and the deployment still ends', async () => {
    const name = uniqueName('stall');
    const watch = watchOperations(servers.strata.dataDir);
    const id = await servers.strata.create({
      name,
      layers: { data: { target: 'local' }, storage: { target: 'local' } },
    });
    await servers.strata.waitFor(id, ['running']);
    // At once: on a quiet machine the whole up can end within a second. From here on no write
    // of this attempt can land before the stall ends, and by then its 10 s lease has lapsed.
    // 15 s: longer than the lease. The stalled client waits for its own answer.
    const staller = servers.redis.client();
    await staller.call('DEBUG', 'SLEEP', '15');
    staller.disconnect();

    const ended = await servers.strata.waitFor(id);
    const { most, seen } = watch.stop();
    assert.equal(ended.status, 'succeeded', ended.error);
    assert.ok(most <= 1, `${most} operations ran at once on one stack:\n${seen}`);
    // The stalled attempt stopped itself and a later one finished the job.
    assert.ok((ended.attempts ?? 0) >= 2, `attempts: ${ended.attempts}`);
    assert.deepEqual(servers.strata.strays(), []);
    const next = await servers.strata.waitFor(await servers.strata.deploy(name));
    assert.equal(next.status, 'succeeded', next.error);
    assert.equal((await servers.strata.destroy(name)).status, 'succeeded');
  });
});
