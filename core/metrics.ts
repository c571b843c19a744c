import type { Redis } from 'ioredis';
import type { DeploymentRecord, EnvironmentRecord } from './domain';

/**
 * Facts that happen in worker processes (a deployment ended, how long each layer took, how long
 * it waited) are counted in Redis, so any API process's `GET /metrics` shows the whole
 * installation's totals whichever worker did the work. One hash per installation (queue):
 * fields are `<metric>\t<labels as JSON>\t<suffix>`, the suffix being `count` for counters and
 * a bucket index, `sum` or `count` for histograms.
 */
export function metricsKey(queueName: string): string {
  return `strata:metrics:${queueName}`;
}

export const LAYER_DURATION_BUCKETS = [1, 2.5, 5, 10, 30, 60, 120, 300, 600, 1800, 3600];
export const QUEUE_WAIT_BUCKETS = [0.05, 0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 300, 900, 3600];

export const HISTOGRAM_BUCKETS: Record<string, number[]> = {
  strata_layer_duration_seconds: LAYER_DURATION_BUCKETS,
  strata_deployment_duration_seconds: LAYER_DURATION_BUCKETS,
  strata_queue_wait_seconds: QUEUE_WAIT_BUCKETS,
};

type Labels = Record<string, string>;

function field(metric: string, labels: Labels, suffix: string): string {
  return `${metric}\t${JSON.stringify(labels)}\t${suffix}`;
}

function seconds(from: string | undefined, to: string | undefined): number | undefined {
  if (!from || !to) return undefined;
  const ms = Date.parse(to) - Date.parse(from);
  return Number.isFinite(ms) && ms >= 0 ? ms / 1000 : undefined;
}

interface Multi {
  hincrby(key: string, field: string, by: number): unknown;
  hincrbyfloat(key: string, field: string, by: number): unknown;
}

function observe(multi: Multi, key: string, metric: string, labels: Labels, value: number): void {
  const buckets = HISTOGRAM_BUCKETS[metric] ?? [];
  const index = buckets.findIndex((bound) => value <= bound);
  multi.hincrby(key, field(metric, labels, String(index < 0 ? buckets.length : index)), 1);
  multi.hincrbyfloat(key, field(metric, labels, 'sum'), value);
  multi.hincrby(key, field(metric, labels, 'count'), 1);
}

/**
 * Counts a deployment that reached a final status: by operation, trigger and result, and, for
 * one that ran, its queue wait, its duration and each layer's duration. `env` gives the layers'
 * targets (the record may already be gone after a whole-environment destroy).
 */
export async function recordDeploymentEnd(
  redis: Redis,
  queueName: string,
  deployment: DeploymentRecord,
  env?: Pick<EnvironmentRecord, 'layers'>,
): Promise<void> {
  const key = metricsKey(queueName);
  const multi = redis.multi();
  multi.hincrby(
    key,
    field(
      'strata_deployments_total',
      {
        operation: deployment.operation,
        trigger: deployment.trigger.kind,
        result: deployment.status,
      },
      'count',
    ),
    1,
  );
  const wait = seconds(deployment.createdAt, deployment.startedAt);
  if (wait !== undefined) {
    observe(multi, key, 'strata_queue_wait_seconds', { operation: deployment.operation }, wait);
  }
  const total = seconds(deployment.startedAt, deployment.finishedAt);
  if (total !== undefined) {
    observe(
      multi,
      key,
      'strata_deployment_duration_seconds',
      { operation: deployment.operation, result: deployment.status },
      total,
    );
  }
  for (const [layer, run] of Object.entries(deployment.layerRuns)) {
    const took = seconds(run?.startedAt, run?.finishedAt);
    if (took === undefined || !run) continue;
    const target = env?.layers[layer as keyof EnvironmentRecord['layers']]?.target ?? 'unknown';
    observe(
      multi,
      key,
      'strata_layer_duration_seconds',
      { layer, target, operation: deployment.operation, result: run.status },
      took,
    );
  }
  await multi.exec();
}

/** Same as recordDeploymentEnd, but never fails the caller: metrics must not break deployments. */
export function recordDeploymentEndQuietly(
  redis: Redis,
  queueName: string,
  deployment: DeploymentRecord | undefined,
  env?: Pick<EnvironmentRecord, 'layers'>,
  onError?: (error: unknown) => void,
): Promise<void> {
  if (!deployment) return Promise.resolve();
  return recordDeploymentEnd(redis, queueName, deployment, env).catch((error: unknown) =>
    onError?.(error),
  );
}

export interface CounterSample {
  labels: Labels;
  value: number;
}

export interface HistogramSample {
  labels: Labels;
  /** Cumulative counts per bucket bound, then +Inf. */
  buckets: { le: number; count: number }[];
  sum: number;
  count: number;
}

export interface StoredMetrics {
  counters: Map<string, CounterSample[]>;
  histograms: Map<string, HistogramSample[]>;
}

/** Reads what the workers counted, shaped for the exposition. */
export async function readStoredMetrics(redis: Redis, queueName: string): Promise<StoredMetrics> {
  const raw = await redis.hgetall(metricsKey(queueName));
  const counters = new Map<string, CounterSample[]>();
  const partial = new Map<string, Map<string, { labels: Labels; fields: Map<string, number> }>>();
  for (const [name, value] of Object.entries(raw)) {
    const [metric, labelText, suffix] = name.split('\t');
    if (!metric || labelText === undefined || suffix === undefined) continue;
    let labels: Labels;
    try {
      labels = JSON.parse(labelText) as Labels;
    } catch {
      continue;
    }
    const number = Number(value);
    if (HISTOGRAM_BUCKETS[metric]) {
      const series = partial.get(metric) ?? new Map();
      partial.set(metric, series);
      const entry = series.get(labelText) ?? { labels, fields: new Map<string, number>() };
      series.set(labelText, entry);
      entry.fields.set(suffix, number);
    } else {
      const list = counters.get(metric) ?? [];
      counters.set(metric, list);
      list.push({ labels, value: number });
    }
  }
  const histograms = new Map<string, HistogramSample[]>();
  for (const [metric, series] of partial) {
    const bounds = HISTOGRAM_BUCKETS[metric] ?? [];
    histograms.set(
      metric,
      [...series.values()].map(({ labels, fields }) => {
        let running = 0;
        const buckets = [...bounds, Number.POSITIVE_INFINITY].map((le, i) => {
          running += fields.get(String(i)) ?? 0;
          return { le, count: running };
        });
        return { labels, buckets, sum: fields.get('sum') ?? 0, count: fields.get('count') ?? 0 };
      }),
    );
  }
  return { counters, histograms };
}
