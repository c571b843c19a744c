/**
 * `npm run bench`: Strata measured beside the bare engine on this machine, in one run, so the
 * ratios stay comparable on a noisy machine. Prints numbers; never passes or fails on time.
 *
 * `npm run bench -- --only <parts>` runs some parts: table, handoff, throughput, rss (the
 * default, together), and lifecycle, recovery, multi-machine (only when named).
 */
import { fork } from 'node:child_process';
import fs from 'node:fs';
import http from 'node:http';
import path from 'node:path';
import type { LayerName } from '../core/domain';
import { redisKeys } from '../core/redis-keys';
import { uniqueName } from '../test/helpers/harness';
import { pause, StrataProcesses } from '../test/helpers/servers';
import {
  measureBareEngine,
  measureBareTogether,
  type LayerFigures,
  type TogetherFigures,
} from './bare-engine';
import { measureLifecycle, summary } from './lifecycle';
import { requestRate } from './load';
import { measureMultiMachine } from './multi-machine';
import { measureRecovery } from './recovery';

const RUNS = Number(process.env.BENCH_RUNS ?? 3);
const LAYERS = { data: { target: 'local' }, storage: { target: 'local' } };
const STORAGE = { storage: { target: 'local' } };
const DEFAULT_PARTS = ['table', 'handoff', 'throughput', 'rss'];

const median = (values: number[]): number => {
  const sorted = values.filter((v) => !Number.isNaN(v)).sort((a, b) => a - b);
  return sorted[Math.floor(sorted.length / 2)] ?? NaN;
};
const quantile = (values: number[], q: number): number => {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))] ?? NaN;
};
const s = (ms: number): string => `${(ms / 1000).toFixed(2)} s`;
const ratio = (a: number, b: number): string => `${(a / b).toFixed(2)}x`;

/** Time spent in each named step, summed over repeats: where a part's minutes go. */
function stepTimer(): { done(step: string): void; summary(): string } {
  const spent = new Map<string, number>();
  let last = performance.now();
  return {
    done: (step) => {
      const now = performance.now();
      spent.set(step, (spent.get(step) ?? 0) + now - last);
      last = now;
    },
    summary: () => [...spent].map(([step, ms]) => `${step} ${Math.round(ms / 1000)} s`).join(', '),
  };
}

/** One line of the table: figure, bare engine, Strata, ratio, goal. */
function row(figure: string, bare: string, strata: string, compared: string, goal: string): void {
  console.log(
    `${figure.padEnd(44)} ${bare.padEnd(26)} ${strata.padEnd(26)} ${compared.padEnd(10)} ${goal}`,
  );
}

/** Reads a deployment's SSE stream; resolves at `event: end` with each event's arrival time. */
async function follow(
  strata: StrataProcesses,
  id: string,
): Promise<{ kind: string; at: number }[]> {
  const response = await strata.api(`/v1/deployments/${id}/events`);
  const events: { kind: string; at: number }[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body as AsyncIterable<Uint8Array>) {
    buffer += decoder.decode(chunk, { stream: true });
    let at: number;
    while ((at = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, at);
      buffer = buffer.slice(at + 2);
      const kind = /^event: (.*)$/m.exec(block)?.[1];
      if (!kind) continue;
      events.push({ kind, at: performance.now() });
      if (kind === 'end') return events;
    }
  }
  return events;
}

/** Times an operation from its request to the end of its stream, and to its first engine event. */
async function timed(
  strata: StrataProcesses,
  request: () => Promise<string>,
): Promise<{ ms: number; firstEvent: number }> {
  const started = performance.now();
  const id = await request();
  const events = await follow(strata, id);
  const first = events.find((e) => e.kind === 'engine');
  return { ms: performance.now() - started, firstEvent: (first?.at ?? NaN) - started };
}

async function created(strata: StrataProcesses, name: string): Promise<string> {
  return strata.create({ name, layers: LAYERS });
}

async function destroyId(strata: StrataProcesses, name: string): Promise<string> {
  const r = await strata.api(`/v1/environments/${name}`, { method: 'DELETE' });
  return ((await r.json()) as { id: string }).id;
}

/**
 * SSE fan-out: `clients` followers of one deployment; for each event that reached them all after
 * the last one connected, the spread between the first and the last to receive it.
 */
async function fanOut(strata: StrataProcesses, name: string, clients: number): Promise<number[]> {
  // The followed deployment waits behind another, so its clients are all connected before its
  // events begin, however long a thousand connections take.
  const ahead = await strata.deploy(name, { operation: 'up' });
  const id = await strata.deploy(name, { operation: 'refresh' });
  const arrivals = new Map<string, number[]>();
  let connectedAt = 0;
  // node:http rather than fetch: a thousand web streams decoding in this one process took most
  // of the spread themselves, which measured the bench rather than Strata's fan-out.
  const agent = new http.Agent({ maxSockets: Infinity });
  const headers = { authorization: `Bearer ${strata.env.STRATA_API_TOKEN ?? ''}` };
  const readers = Array.from(
    { length: clients },
    () =>
      new Promise<void>((resolve, reject) => {
        const request = http.get(
          `${strata.url}/v1/deployments/${id}/events`,
          { agent, headers },
          (response) => {
            response.setEncoding('utf8');
            if (response.statusCode !== 200) {
              let body = '';
              response.on('data', (chunk: string) => (body += chunk));
              response.on('end', () =>
                reject(new Error(`SSE client refused: ${response.statusCode} ${body}`)),
              );
              return;
            }
            connectedAt = Math.max(connectedAt, performance.now());
            let buffer = '';
            response.on('data', (chunk: string) => {
              const now = performance.now();
              buffer += chunk;
              let at: number;
              while ((at = buffer.indexOf('\n\n')) >= 0) {
                const block = buffer.slice(0, at);
                buffer = buffer.slice(at + 2);
                const eventId = /^id: (.*)$/m.exec(block)?.[1];
                if (eventId === undefined) continue;
                const list = arrivals.get(eventId) ?? [];
                list.push(now);
                arrivals.set(eventId, list);
                if (/^event: end$/m.test(block)) {
                  response.destroy();
                  resolve();
                }
              }
            });
            response.on('end', resolve);
            response.on('error', reject);
          },
        );
        request.on('error', reject);
      }),
  );
  try {
    await Promise.all(readers);
  } finally {
    agent.destroy();
  }
  await strata.waitFor(ahead);
  return [...arrivals.values()]
    .filter((times) => times.length === clients && Math.min(...times) > connectedAt)
    .map((times) => Math.max(...times) - Math.min(...times));
}

/**
 * Strata's processes as a fresh start leaves them: the worker may still be starting when the API
 * answers. One deployment run first makes the figures those of a running installation.
 */
async function startInstallation(): Promise<StrataProcesses> {
  const strata = await StrataProcesses.start({
    // A thousand followers of one deployment on one token: past the default stream caps.
    env: {
      LOG_LEVEL: 'warn',
      STRATA_SSE_MAX_STREAMS: '5000',
      STRATA_SSE_MAX_STREAMS_PER_TOKEN: '5000',
    },
  });
  await strata.waitFor(await strata.create({ name: uniqueName('bench-warm'), layers: STORAGE }));
  return strata;
}

interface EnvRates {
  strata: number[];
  bare: number[];
  errors: number;
}

/**
 * The `.env` route against a bare Fastify route reading the same Redis key, in alternating
 * runs after a warm-up of each, once the worker is idle (it replaces its used engines when its
 * last operation ends, and that CPU would go to whichever run came first).
 */
async function envAgainstBare(strata: StrataProcesses, name: string): Promise<EnvRates> {
  const key = redisKeys(strata.env.STRATA_QUEUE ?? '').bundle(name);
  const server = fork(path.join(__dirname, 'bare-env-server.js'), [key], {
    stdio: ['ignore', 'pipe', 'inherit', 'ipc'],
  });
  const rates: EnvRates = { strata: [], bare: [], errors: 0 };
  try {
    const port = await new Promise<string>((resolve) =>
      server.stdout?.once('data', (d: Buffer) => resolve(d.toString().trim())),
    );
    const token = { authorization: `Bearer ${strata.env.STRATA_API_TOKEN ?? ''}` };
    const strataUrl = `${strata.url}/v1/environments/${name}/env`;
    const bareUrl = `http://127.0.0.1:${port}/env`;
    await pause(5_000);
    await requestRate(strataUrl, token, 20, 1);
    await requestRate(bareUrl, {}, 20, 1);
    for (let run = 0; run < RUNS; run++) {
      const measured = await requestRate(strataUrl, token, 20, 3);
      rates.strata.push(measured.rate);
      rates.errors += measured.errors;
      rates.bare.push((await requestRate(bareUrl, {}, 20, 3)).rate);
    }
  } finally {
    server.kill();
  }
  return rates;
}

function rssKb(pid: number): number {
  const status = fs.readFileSync(`/proc/${pid}/status`, 'utf8');
  return Number(/VmRSS:\s+(\d+)/.exec(status)?.[1] ?? NaN);
}

async function table(
  results: string[],
  installation: () => Promise<StrataProcesses>,
): Promise<void> {
  const steps = stepTimer();
  const bare: Record<LayerName, LayerFigures>[] = [];
  for (let run = 0; run < RUNS; run++) {
    bare.push(await measureBareEngine());
    steps.done('bare layers');
  }
  // Context for the ratios rather than a goal's baseline: one run is enough to read it by.
  const together = await measureBareTogether();
  steps.done('bare together');
  const both = (f: keyof TogetherFigures): number => together[f];
  const layerMedian = (layer: LayerName, f: keyof LayerFigures): number =>
    median(bare.map((b) => b[layer][f]));
  const slowest = (f: keyof LayerFigures): number =>
    Math.max(layerMedian('data', f), layerMedian('storage', f));
  const sequence = (f: keyof LayerFigures): number =>
    layerMedian('data', f) + layerMedian('storage', f);

  const strata = await installation();
  steps.done('start');
  const ups: { ms: number; firstEvent: number }[] = [];
  const noops: { ms: number; firstEvent: number }[] = [];
  const destroys: number[] = [];
  let sse200: number[] = [];
  let sse1000: number[] = [];
  let envRates: EnvRates = { strata: [], bare: [], errors: 0 };
  {
    for (let run = 0; run < RUNS; run++) {
      const name = uniqueName('bench');
      ups.push(await timed(strata, () => created(strata, name)));
      noops.push(await timed(strata, () => strata.deploy(name, { operation: 'up' })));
      destroys.push((await timed(strata, () => destroyId(strata, name))).ms);
    }
    steps.done('operations');
    const name = uniqueName('bench-sse');
    await strata.waitFor(await strata.create({ name, layers: STORAGE }));
    sse200 = await fanOut(strata, name, 200);
    sse1000 = await fanOut(strata, name, 1000);
    steps.done('SSE');

    envRates = await envAgainstBare(strata, name);
    steps.done('.env');
  }
  console.log(`\ntable steps: ${steps.summary()}`);

  const up = median(ups.map((u) => u.ms));
  const first = median(ups.map((u) => u.firstEvent));
  const bareFirst = median(bare.map((b) => Math.min(b.data.firstEvent, b.storage.firstEvent)));
  const noop = median(noops.map((n) => n.ms));
  const noopFirst = median(noops.map((n) => n.firstEvent));
  const bareNoopFirst = median(
    bare.map((b) => Math.min(b.data.noopFirstEvent, b.storage.noopFirstEvent)),
  );
  const destroy = median(destroys);
  console.log(
    `\nlocal target, data + storage layers, median of ${RUNS} (noisy machine: compare ratios)`,
  );
  row('figure', 'bare engine', 'Strata', 'ratio', 'goal');
  row(
    'create + up, until the stream ends',
    `slowest ${s(slowest('up'))} (seq ${s(sequence('up'))})`,
    s(up),
    ratio(up, slowest('up')),
    '<= 1.15x slowest layer',
  );
  row(
    'request -> first engine event',
    `${s(bareFirst)} after up()`,
    `${s(first)} after POST`,
    `+${Math.round(first - bareFirst)} ms`,
    '<= +150 ms',
  );
  // A create opens new stacks (a `stack init` each) before its engines start; a redeploy does not.
  row(
    '  the same for a redeploy (no-op up)',
    `${s(bareNoopFirst)} after up()`,
    `${s(noopFirst)} after POST`,
    `+${Math.round(noopFirst - bareNoopFirst)} ms`,
    '<= +150 ms',
  );
  row(
    'no-op up (both refresh first)',
    `slowest ${s(slowest('noop'))}`,
    s(noop),
    ratio(noop, slowest('noop')),
    '<= 1.1x',
  );
  row(
    'destroy',
    `slowest ${s(slowest('destroy'))}`,
    s(destroy),
    ratio(destroy, slowest('destroy')),
    '<= 1.15x',
  );
  // The goals compare with one layer alone; two engines at once on few cores also slow each
  // other down. This row says how much of the gap that is, whatever Strata does.
  row(
    '  bare, both layers at once (one run)',
    `${s(both('up'))}, ${s(both('noop'))}, ${s(both('destroy'))}`,
    '-',
    `${ratio(up, both('up'))}, ${ratio(noop, both('noop'))}, ${ratio(destroy, both('destroy'))}`,
    'Strata / bare at once',
  );
  const spread = (v: number[]): string =>
    `p50 ${Math.round(quantile(v, 0.5))} ms, p99 ${Math.round(quantile(v, 0.99))} ms (${v.length} ev)`;
  row('SSE spread, 200 clients', '-', spread(sse200), '-', 'p99 <= 50 ms');
  row('SSE spread, 1,000 clients', '-', spread(sse1000), '-', 'p99 <= 150 ms');
  // Runs alternate, so each ratio compares two runs seconds apart on the same machine.
  const envRatio = median(envRates.strata.map((rate, i) => rate / (envRates.bare[i] ?? NaN)));
  row(
    'GET .../env, 20 connections',
    `${Math.round(median(envRates.bare))} req/s`,
    `${Math.round(median(envRates.strata))} req/s${envRates.errors ? ` (${envRates.errors} errors)` : ''}`,
    `${envRatio.toFixed(2)}x`,
    '>= 0.5x',
  );
  results.push(
    `up ${ratio(up, slowest('up'))} (${ratio(up, both('up'))} of both at once)`,
    `first event +${Math.round(first - bareFirst)} ms (redeploy +${Math.round(noopFirst - bareNoopFirst)} ms)`,
    `no-op ${ratio(noop, slowest('noop'))}`,
    `destroy ${ratio(destroy, slowest('destroy'))}`,
    `SSE p99 ${Math.round(quantile(sse200, 0.99))}/${Math.round(quantile(sse1000, 0.99))} ms`,
    `.env ${envRatio.toFixed(2)}x`,
  );
}

/**
 * A deployment waiting behind another on its environment: from the first's end to its start.
 * Redeploys without refresh, the shortest operations, so most of each pair is the wait.
 */
async function handoff(strata: StrataProcesses, name: string): Promise<number[]> {
  const gaps: number[] = [];
  for (let run = 0; run < RUNS; run++) {
    const first = await strata.deploy(name, REDEPLOY);
    const second = await strata.deploy(name, REDEPLOY);
    await strata.waitFor(second);
    const a = (await strata.deployment(first)) as { finishedAt?: string };
    const b = (await strata.deployment(second)) as { startedAt?: string };
    gaps.push(Date.parse(b.startedAt ?? '') - Date.parse(a.finishedAt ?? ''));
  }
  return gaps;
}

const REDEPLOY = { operation: 'up', refresh: false };

/**
 * The parts after the table, on the installation it used: `handoff`; `throughput`, 20
 * environments created at once with one worker process, then with two; `rss`, the first
 * worker's resident memory over its first 200 operations (the table's, the hand-off's, the
 * creates, then redeploys of 8 of those environments).
 */
async function installationParts(
  results: string[],
  strata: StrataProcesses,
  parts: { handoff: boolean; throughput: boolean; rss: boolean },
  took: (part: string, ms: number) => void,
): Promise<void> {
  const count = Number(process.env.BENCH_ENVIRONMENTS ?? 20);
  const all = async (names: string[]): Promise<number> => {
    const started = performance.now();
    const ids = await Promise.all(names.map((name) => strata.create({ name, layers: STORAGE })));
    for (const id of ids) await strata.waitFor(id, undefined, 300_000);
    return performance.now() - started;
  };
  const names = (n: number): string[] => Array.from({ length: n }, () => uniqueName('bench-many'));
  let one = NaN;
  let two = NaN;
  let memory: Memory | undefined;
  let gaps: number[] = [];
  const first = strata.worker;
  // Sampled now, when the table ran first: its operations are about the first tenth.
  const early = { operations: await layerOperations(strata), kb: rssKb(first?.pid ?? 0) };
  if (parts.handoff) {
    const begun = performance.now();
    const name = uniqueName('bench-handoff');
    await strata.waitFor(await strata.create({ name, layers: STORAGE }));
    gaps = await handoff(strata, name);
    took('handoff', performance.now() - begun);
  }
  const created = names(parts.throughput ? count : parts.rss ? RSS_ENVIRONMENTS : 0);
  one = await all(created);
  if (parts.rss) {
    const begun = performance.now();
    memory = await redeployed(strata, created.slice(0, RSS_ENVIRONMENTS), early);
    took('rss', performance.now() - begun + (parts.throughput ? 0 : one));
  }
  if (parts.throughput) {
    const begun = performance.now();
    strata.startWorker();
    await pause(2_000);
    two = await all(names(count));
    took('throughput', one + performance.now() - begun);
  }
  first?.kill('SIGTERM');
  if (parts.handoff) {
    console.log('');
    summary('hand-off: first ends -> waiting one starts (goal <= 50 ms)', gaps);
    results.push(`hand-off ${Math.round(median(gaps))} ms`);
  }
  if (parts.throughput) {
    console.log(`\n${count} environments (storage layer) created at once, until all succeeded`);
    console.log(`${'one worker process'.padEnd(48)} ${s(one)}`);
    console.log(`${'two worker processes'.padEnd(48)} ${s(two)}`);
    console.log(`${'throughput gain (goal >= 1.7x)'.padEnd(48)} ${ratio(one, two)}`);
    results.push(`2 workers ${ratio(one, two)}`);
  }
  if (memory) {
    const { early, late, redeploys } = memory;
    const drift = ((late.kb - early.kb) / early.kb) * 100;
    console.log(
      `\nworker RSS over its first ${late.operations} layer operations (the last ${redeploys} of them redeploys without refresh, ${RSS_ENVIRONMENTS} environments at once)`,
    );
    console.log(
      `${`after ${early.operations} operations -> after ${late.operations}`.padEnd(48)} ${Math.round(early.kb / 1024)} MB -> ${Math.round(late.kb / 1024)} MB   drift ${drift.toFixed(1)}% (goal <= 10%)`,
    );
    results.push(`RSS drift ${drift.toFixed(1)}%`);
  }
}

/** The worker's RSS after a number of layer operations. */
interface MemorySample {
  operations: number;
  kb: number;
}

interface Memory {
  early: MemorySample;
  late: MemorySample;
  redeploys: number;
}

/** Layer operations run so far, by every worker: Strata's own count, from `/metrics`. */
async function layerOperations(strata: StrataProcesses): Promise<number> {
  const text = await (await fetch(`${strata.url}/metrics`)).text();
  return [...text.matchAll(/^strata_layer_duration_seconds_count(?:\{[^}]*\})? (\d+)$/gm)].reduce(
    (sum, match) => sum + Number(match[1]),
    0,
  );
}

/** Environments redeployed side by side for the RSS figure: as many as a worker runs and more. */
const RSS_ENVIRONMENTS = 8;

/**
 * Redeploys `names` until the worker has run `BENCH_RSS_OPERATIONS` layer operations in all,
 * sampling its RSS at the end, and after the first tenth unless `early` came after it (the
 * table's operations). An `up` without refresh is a redeploy's whole path (program run, events,
 * outputs, bundle) at the least engine CPU, so the count fits the bench.
 */
async function redeployed(
  strata: StrataProcesses,
  names: string[],
  before: MemorySample,
): Promise<Memory> {
  const operations = Number(process.env.BENCH_RSS_OPERATIONS ?? 200);
  const worker = strata.worker?.pid ?? 0;
  const tenth = Math.ceil(operations / 10);
  let early = before.operations >= tenth ? before : undefined;
  const done = await layerOperations(strata);
  let begun = done;
  let finished = done;
  await Promise.all(
    names.map(async (name) => {
      while (begun < operations) {
        begun++;
        const id = await strata.deploy(name, REDEPLOY);
        const { status } = await strata.waitFor(id);
        if (status !== 'succeeded') throw new Error(`redeploy ${id} ended ${status}`);
        finished++;
        if (!early && finished >= tenth) early = { operations: finished, kb: rssKb(worker) };
      }
    }),
  );
  const late = { operations: await layerOperations(strata), kb: rssKb(worker) };
  return { early: early ?? late, late, redeploys: Math.max(0, operations - done) };
}

async function recovery(): Promise<void> {
  const kills = Number(process.env.BENCH_KILLS ?? 5);
  const figures = await measureRecovery(kills);
  console.log(
    `\nworker killed (SIGKILL) during create + up, ${kills} trials, new worker started at once`,
  );
  summary('baseline: the same create + up, not interrupted', figures.uninterrupted);
  summary('new worker started -> deployment running again', figures.resumed);
  summary('new worker started -> deployment ended', figures.recovered);
  console.log(`ended succeeded by themselves: ${figures.endedSucceeded} of ${figures.trials}`);
}

async function multiMachine(): Promise<void> {
  // Workers on separate machines (network namespaces), sharing Redis and PostgreSQL state.
  const environments = Number(process.env.BENCH_ENVIRONMENTS ?? 20);
  const mm = await measureMultiMachine(environments, RUNS);
  console.log(
    `\nPostgreSQL state backend, ${environments} environments (storage layer) created at once, 4 deployments per worker${mm.note ? `\n(${mm.note})` : ''}`,
  );
  console.log(`${'one worker, until all succeeded'.padEnd(48)} ${mm.oneWorkerMs} ms`);
  console.log(
    `${'two workers, until all succeeded'.padEnd(48)} ${mm.twoWorkersMs} ms   (${Object.entries(
      mm.perWorker,
    )
      .map(([w, n]) => `${w} ran ${n}`)
      .join(', ')})`,
  );
  console.log(
    `${'throughput, two workers / one worker'.padEnd(48)} ${(mm.oneWorkerMs / mm.twoWorkersMs).toFixed(2)}x`,
  );
  console.log(`\ncreate + up of the local data layer, ${RUNS} runs, one worker`);
  summary('file backend (embedded default)', mm.fileUps);
  summary('PostgreSQL backend', mm.postgresUps);
}

async function main(): Promise<void> {
  const at = process.argv.indexOf('--only');
  const parts = at >= 0 ? (process.argv[at + 1] ?? '').split(',') : DEFAULT_PARTS;
  const started = performance.now();
  const results: string[] = [];
  const took: string[] = [];
  const part = async (name: string, run: () => Promise<void>): Promise<void> => {
    if (!parts.includes(name)) return;
    const begun = performance.now();
    await run();
    took.push(`${name} ${Math.round((performance.now() - begun) / 1000)} s`);
  };
  // One installation for the default parts: the RSS figure counts every operation its first
  // worker ran, so the table's and the other parts' operations are part of the 200.
  let shared: StrataProcesses | undefined;
  const installation = async (): Promise<StrataProcesses> => (shared ??= await startInstallation());
  try {
    await part('table', () => table(results, installation));
    const after = {
      handoff: parts.includes('handoff'),
      throughput: parts.includes('throughput'),
      rss: parts.includes('rss'),
    };
    if (after.handoff || after.throughput || after.rss) {
      await installationParts(results, await installation(), after, (name, ms) =>
        took.push(`${name} ${Math.round(ms / 1000)} s`),
      );
    }
  } finally {
    await shared?.close();
  }
  await part('lifecycle', measureLifecycle);
  await part('recovery', recovery);
  await part('multi-machine', multiMachine);
  console.log(`\nparts: ${took.join(', ')}`);
  console.log(`\nsummary (${s(performance.now() - started)}): ${results.join(' | ')}`);
}

main().catch((error: unknown) => {
  console.error(error);
  process.exit(1);
});
