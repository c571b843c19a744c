import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';
import { until } from '../helpers/servers';

type Samples = Map<string, number>;

/** Parses the text format into `name{labels}` → value, labels sorted. */
function parseMetrics(text: string): Samples {
  const samples: Samples = new Map();
  for (const line of text.split('\n')) {
    if (line === '' || line.startsWith('#')) continue;
    const match = /^([a-zA-Z_:][a-zA-Z0-9_:]*)(?:\{(.*)\})? (\S+)$/.exec(line);
    assert.ok(match, `not a sample line: ${line}`);
    const labels = (match[2] ?? '')
      .split(/,(?=[a-zA-Z_]+=")/)
      .filter(Boolean)
      .sort()
      .join(',');
    samples.set(labels ? `${match[1]}{${labels}}` : (match[1] ?? ''), Number(match[3]));
  }
  return samples;
}

const key = (name: string, labels: Record<string, string> = {}) => {
  const parts = Object.entries(labels)
    .map(([k, v]) => `${k}="${v}"`)
    .sort();
  return parts.length ? `${name}{${parts.join(',')}}` : name;
};

describe('GET /metrics', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness();
  });
  after(async () => {
    await h.close();
  });

  const scrape = async (): Promise<Samples> => {
    // No token: Prometheus scrapes without one.
    const response = await fetch(`${h.url}/metrics`);
    assert.equal(response.status, 200);
    assert.match(response.headers.get('content-type') ?? '', /^text\/plain; version=0\.0\.4/);
    return parseMetrics(await response.text());
  };
  /**
   * A scrape once `sample` reads `value`: a deployment's metrics are written just after its end
   * is, all in one transaction, so the rest of its figures are there too.
   */
  const scrapeOnce = async (sample: string, value: number): Promise<Samples> => {
    await until(`${sample} to read ${value}`, async () => (await scrape()).get(sample) === value);
    return scrape();
  };

  it('exposes process metrics and every Strata metric family', async () => {
    const response = await fetch(`${h.url}/metrics`);
    const text = await response.text();
    for (const family of [
      'process_cpu_seconds_total',
      'nodejs_heap_size_used_bytes',
      'strata_deployments_total',
      'strata_layer_duration_seconds',
      'strata_deployment_duration_seconds',
      'strata_queue_wait_seconds',
      'strata_environments',
      'strata_engine_processes',
      'strata_queue_jobs',
      'strata_sse_clients',
      'strata_redis_errors_total',
    ]) {
      assert.match(text, new RegExp(`^# TYPE ${family} `, 'm'), family);
    }
    const samples = parseMetrics(text);
    assert.equal(samples.get('strata_redis_errors_total'), 0);
  });

  it('moves the deployment counters, histograms and gauges after a real deployment', async () => {
    const name = uniqueName('metrics');
    const before = await scrape();
    assert.equal(
      before.get(
        key('strata_deployments_total', { operation: 'up', trigger: 'api', result: 'succeeded' }),
      ),
      undefined,
    );

    // Watch the engine-process gauge while the deployment runs.
    let engines = 0;
    let watching = true;
    const watcher = (async () => {
      while (watching) {
        engines = Math.max(engines, (await scrape()).get('strata_engine_processes') ?? 0);
        await new Promise((r) => setTimeout(r, 100));
      }
    })();
    const deployment = await createEnvironment(h, { name, layers: { data: { target: 'local' } } });
    watching = false;
    await watcher;
    assert.equal(deployment.status, 'succeeded');
    assert.ok(engines >= 1, 'an engine process was counted while the layer ran');

    const labels = { operation: 'up', trigger: 'api', result: 'succeeded' };
    const afterUp = await scrapeOnce(key('strata_deployments_total', labels), 1);
    assert.equal(afterUp.get(key('strata_deployments_total', labels)), 1);
    const layer = { layer: 'data', target: 'local', operation: 'up', result: 'succeeded' };
    assert.equal(afterUp.get(key('strata_layer_duration_seconds_count', layer)), 1);
    assert.ok((afterUp.get(key('strata_layer_duration_seconds_sum', layer)) ?? 0) > 0);
    assert.equal(
      afterUp.get(key('strata_layer_duration_seconds_bucket', { ...layer, le: '+Inf' })),
      1,
    );
    assert.equal(afterUp.get(key('strata_queue_wait_seconds_count', { operation: 'up' })), 1);
    assert.equal(
      afterUp.get(
        key('strata_deployment_duration_seconds_count', { operation: 'up', result: 'succeeded' }),
      ),
      1,
    );
    assert.ok((afterUp.get(key('strata_environments', { status: 'ready' })) ?? 0) >= 1);

    // A deployment cancelled while it waits counts too; its stream counts as an SSE client.
    const up = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    const refresh = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'refresh' },
    });
    const refreshId = ((await refresh.json()) as { id: string }).id;
    const upId = ((await up.json()) as { id: string }).id;
    const watch = new AbortController();
    const stream = await h.api(`/v1/deployments/${upId}/events`, { signal: watch.signal });
    assert.equal(stream.status, 200);
    assert.equal((await scrape()).get('strata_sse_clients'), 1);
    watch.abort();
    await h.api(`/v1/deployments/${refreshId}/cancel`, { method: 'POST' });
    await waitForDeployment(h, upId);
    await waitForDeployment(h, refreshId);
    const cancelled = { operation: 'refresh', trigger: 'api', result: 'cancelled' };
    await scrapeOnce(key('strata_deployments_total', cancelled), 1);
    const later = await scrapeOnce(key('strata_deployments_total', labels), 2);
    assert.equal(later.get(key('strata_deployments_total', cancelled)), 1);
    assert.equal(later.get('strata_sse_clients'), 0);

    const destroy = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
    const destroyed = await waitForDeployment(h, ((await destroy.json()) as { id: string }).id);
    assert.equal(destroyed.status, 'succeeded');
    const destroyedLayer = key('strata_layer_duration_seconds_count', {
      ...layer,
      operation: 'destroy',
    });
    // Labelled with the layer's target even after the environment is forgotten.
    await scrapeOnce(destroyedLayer, 1);
  });
});
