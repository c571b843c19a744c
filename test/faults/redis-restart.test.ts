import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { readEvents, uniqueName } from '../helpers/harness';
import { pause, strataForSuite } from '../helpers/servers';

describe('Redis stopped and restarted during a deployment', () => {
  const servers = strataForSuite({ privateRedis: true });

  it('answers 503 meanwhile, then the deployment ends and nothing is lost', async () => {
    const name = uniqueName('redis-down');
    const id = await servers.strata.create({
      name,
      layers: { data: { target: 'local' }, storage: { target: 'local' } },
    });
    await servers.strata.waitFor(id, ['running']);
    await pause(800);
    await servers.redis.stop();

    const started = Date.now();
    const list = await servers.strata.api('/v1/environments');
    const listMs = Date.now() - started;
    assert.equal(list.status, 503);
    assert.match(((await list.json()) as { message: string }).message, /Redis is unavailable/);
    const create = await servers.strata.api('/v1/environments', {
      method: 'POST',
      json: { name: uniqueName('refused'), layers: { storage: { target: 'local' } } },
    });
    assert.equal(create.status, 503);
    const ready = await fetch(`${servers.strata.url}/readyz`);
    assert.equal(ready.status, 503);
    assert.match(((await ready.json()) as { message: string }).message, /redis/i);
    console.log(`# API answered 503 in ${listMs} ms while Redis was down`);

    await pause(2_000);
    await servers.redis.start();
    const ended = await servers.strata.waitFor(id);
    assert.equal(ended.status, 'succeeded', ended.error);

    const events = await readEvents(await servers.strata.api(`/v1/deployments/${id}/events`));
    assert.deepEqual(
      events.map((e) => e.id),
      events.map((_, i) => i + 1),
      'the event stream has no gap',
    );
    assert.equal(events.at(-1)?.event, 'end');
    const env = (await (await servers.strata.api(`/v1/environments/${name}`)).json()) as {
      status: string;
    };
    assert.equal(env.status, 'ready');
    const bundle = await servers.strata.api(`/v1/environments/${name}/env?format=json`);
    assert.equal(bundle.status, 200);
    assert.equal((await servers.strata.destroy(name)).status, 'succeeded');
  });
});
