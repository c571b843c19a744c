import assert from 'node:assert/strict';
import fs from 'node:fs';
import { describe, it } from 'node:test';
import { uniqueName } from '../helpers/harness';
import { strataForSuite } from '../helpers/servers';

const OPERATIONS = new Set(['up', 'preview', 'refresh', 'destroy']);

/**
 * Watches the machine for pulumi CLI operations of one installation and remembers the most that
 * ever ran at once on one stack (the CLI runs in its stack's work dir).
 */
function watchOperations(dataDir: string): { stop(): number } {
  const marker = `STRATA_DATA_DIR=${dataDir}\0`;
  let most = 0;
  const timer = setInterval(() => {
    const perStack = new Map<string, number>();
    for (const entry of fs.readdirSync('/proc')) {
      if (!/^\d+$/.test(entry)) continue;
      try {
        const argv = fs.readFileSync(`/proc/${entry}/cmdline`, 'utf8').split('\0');
        if (!argv[0]?.endsWith('pulumi') || !OPERATIONS.has(argv[1] ?? '')) continue;
        if (!fs.readFileSync(`/proc/${entry}/environ`, 'utf8').includes(marker)) continue;
        const stat = fs.readFileSync(`/proc/${entry}/stat`, 'utf8');
        if (stat.slice(stat.lastIndexOf(')') + 2).startsWith('Z')) continue;
        const cwd = fs.readlinkSync(`/proc/${entry}/cwd`);
        perStack.set(cwd, (perStack.get(cwd) ?? 0) + 1);
      } catch {
        // Gone meanwhile.
      }
    }
    for (const count of perStack.values()) most = Math.max(most, count);
  }, 50);
  return {
    stop() {
      clearInterval(timer);
      return most;
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
    const most = watch.stop();
    assert.equal(ended.status, 'succeeded', ended.error);
    assert.ok(most <= 1, `${most} operations ran at once on one stack`);
    // The stalled attempt stopped itself and a later one finished the job.
    assert.ok((ended.attempts ?? 0) >= 2, `attempts: ${ended.attempts}`);
    assert.deepEqual(servers.strata.strays(), []);
    const next = await servers.strata.waitFor(await servers.strata.deploy(name));
    assert.equal(next.status, 'succeeded', next.error);
    assert.equal((await servers.strata.destroy(name)).status, 'succeeded');
  });
});
