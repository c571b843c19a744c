import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import pino from 'pino';
import { loggerOptions } from '../../core/logger';
import { ADMIN_TOKEN, startHarness, uniqueName, type Harness } from '../helpers/harness';

describe('request logs', () => {
  let h: Harness;
  const lines: Record<string, unknown>[] = [];
  before(async () => {
    const logger = pino(loggerOptions('info'), {
      write: (line: string) => lines.push(JSON.parse(line) as Record<string, unknown>),
    });
    h = await startHarness({ worker: false, logger });
  });
  after(() => h.close());

  it('writes one line per request at info, without the token', async () => {
    lines.length = 0;
    const name = uniqueName('nowhere');
    assert.equal((await h.api('/healthz')).status, 200);
    assert.equal((await h.api(`/v1/environments/${name}/env`)).status, 404);
    // Every line a request writes carries its id: one each, not one on arrival and one at the end.
    const requests = lines.filter((l) => l.reqId !== undefined);
    assert.equal(requests.length, 2, JSON.stringify(requests));
    const [health, env] = requests as [Record<string, unknown>, Record<string, unknown>];
    assert.equal(health.level, 30);
    assert.equal(health.statusCode, 200);
    assert.equal(env.url, `/v1/environments/${name}/env`);
    assert.equal(env.statusCode, 404);
    assert.equal(env.by, 'admin');
    assert.equal(typeof env.responseTime, 'number');
    assert.ok(!JSON.stringify(lines).includes(ADMIN_TOKEN), 'the token reached the logs');
  });
});
