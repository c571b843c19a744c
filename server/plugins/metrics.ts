import { Type } from '@sinclair/typebox';
import fp from 'fastify-plugin';
import {
  collectDefaultMetrics,
  Counter,
  Gauge,
  Registry,
  type Metric,
  type MetricValueWithName,
} from 'prom-client';
import { HISTOGRAM_BUCKETS, readStoredMetrics, type StoredMetrics } from '../../core/metrics';
import { ErrorResponse } from '../schemas/common';

const HISTOGRAM_HELP: Record<string, string> = {
  strata_layer_duration_seconds:
    'Time one Pulumi operation on one layer took, by layer, target, operation and result',
  strata_deployment_duration_seconds:
    'Time a deployment ran, from its start to its final status, by operation and result',
  strata_queue_wait_seconds:
    'Time a deployment waited between being queued and starting, by operation',
};

/** A histogram whose observations were made by other processes and kept in Redis. */
class StoredHistogram {
  readonly type = 'histogram';
  readonly aggregator = 'sum';
  constructor(
    readonly name: string,
    readonly help: string,
    private readonly snapshot: () => Promise<StoredMetrics>,
  ) {}

  async get(): Promise<{
    name: string;
    help: string;
    type: string;
    aggregator: string;
    values: MetricValueWithName<string>[];
  }> {
    const series = (await this.snapshot()).histograms.get(this.name) ?? [];
    const values: MetricValueWithName<string>[] = [];
    for (const sample of series) {
      for (const bucket of sample.buckets) {
        values.push({
          metricName: `${this.name}_bucket`,
          labels: { ...sample.labels, le: bucket.le === Infinity ? '+Inf' : bucket.le },
          value: bucket.count,
        });
      }
      values.push({ metricName: `${this.name}_sum`, labels: sample.labels, value: sample.sum });
      values.push({ metricName: `${this.name}_count`, labels: sample.labels, value: sample.count });
    }
    return {
      name: this.name,
      help: this.help,
      type: this.type,
      aggregator: this.aggregator,
      values,
    };
  }
}

const SSE_ROUTE = '/v1/deployments/:id/events';

/**
 * `GET /metrics` in the Prometheus text format. Deployment counters and duration histograms
 * come from Redis (the workers write them, see core/metrics.ts), so every API process shows the
 * installation's totals; environment, queue and engine gauges are read from Redis at scrape
 * time; SSE clients, Redis errors and the process metrics are this process's own.
 */
export default fp(
  async (app) => {
    const { redis, store, lifecycle, keys } = app.strata;
    // What this process knows, and what is read from Redis at scrape time.
    const local = new Registry();
    const registry = new Registry();
    collectDefaultMetrics({ register: local });

    // One Redis read per scrape, shared by every metric that needs it.
    let pending: Promise<StoredMetrics> | undefined;
    const snapshot = (): Promise<StoredMetrics> => {
      pending ??= readStoredMetrics(redis, lifecycle.queueName).finally(() => {
        setImmediate(() => (pending = undefined));
      });
      return pending;
    };

    new Counter({
      name: 'strata_deployments_total',
      help: 'Deployments that reached a final status, by operation, trigger and result',
      labelNames: ['operation', 'trigger', 'result'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const sample of (await snapshot()).counters.get('strata_deployments_total') ?? []) {
          this.inc(sample.labels, sample.value);
        }
      },
    });
    for (const name of Object.keys(HISTOGRAM_BUCKETS)) {
      registry.registerMetric(
        new StoredHistogram(name, HISTOGRAM_HELP[name] ?? name, snapshot) as unknown as Metric,
      );
    }

    new Gauge({
      name: 'strata_environments',
      help: 'Environments by status',
      labelNames: ['status'],
      registers: [registry],
      async collect() {
        this.reset();
        for (const status of ['provisioning', 'ready', 'failed', 'destroying', 'destroyed']) {
          this.set({ status }, 0);
        }
        for (const env of await store.listEnvironments()) this.inc({ status: env.status });
      },
    });

    new Gauge({
      name: 'strata_engine_processes',
      help: 'Pulumi engine processes running now (one per layer operation), over every worker',
      registers: [registry],
      async collect() {
        let running = 0;
        for (const id of await redis.smembers(keys.unfinished())) {
          const deployment = await lifecycle.get(id);
          if (deployment?.status !== 'running') continue;
          running += Object.values(deployment.layerRuns).filter(
            (run) => run?.status === 'running',
          ).length;
        }
        this.set(running);
      },
    });

    new Gauge({
      name: 'strata_queue_jobs',
      help: 'Jobs in the deployment queue by state (waiting, delayed: waiting for the environment, active)',
      labelNames: ['state'],
      registers: [registry],
      async collect() {
        const counts = await lifecycle.queue.getJobCounts('waiting', 'delayed', 'active');
        for (const [state, count] of Object.entries(counts)) this.set({ state }, count);
      },
    });

    const sseClients = new Gauge({
      name: 'strata_sse_clients',
      help: 'Clients following a deployment event stream on this API process',
      registers: [local],
    });
    app.addHook('onRequest', async (request) => {
      if (request.routeOptions.url !== SSE_ROUTE) return;
      sseClients.inc();
      request.raw.once('close', () => sseClients.dec());
    });

    const redisErrors = new Counter({
      name: 'strata_redis_errors_total',
      help: 'Errors on this API process connection to Redis, and scrapes that could not read Redis',
      registers: [local],
    });
    const onRedisError = (): void => redisErrors.inc();
    redis.on('error', onRedisError);
    app.addHook('onClose', async () => {
      redis.off('error', onRedisError);
      registry.clear();
      local.clear();
    });

    app.get(
      '/metrics',
      {
        schema: {
          description:
            'Prometheus text format; no token (bind the API to a private interface or filter /metrics at the proxy).',
          response: {
            200: {
              description: 'Prometheus exposition format 0.0.4',
              content: { 'text/plain': { schema: Type.String() } },
            },
            // The process is overloaded (STRATA_MAX_EVENT_LOOP_*).
            503: ErrorResponse,
          },
        },
      },
      async (request, reply) => {
        let shared = '';
        try {
          shared = await registry.metrics();
        } catch (error) {
          // Redis away: still answer with what this process knows, the error counted.
          redisErrors.inc();
          request.log.warn({ err: error }, 'metrics scrape could not read Redis');
        }
        const text = `${await local.metrics()}\n${shared}`;
        return reply.type(registry.contentType).send(text);
      },
    );
  },
  { name: 'strata-metrics', dependencies: ['strata-services'] },
);
