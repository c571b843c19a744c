import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { pathToFileURL } from 'node:url';
import { backendUrlProblem } from './backend-url';
import { durationMs } from './duration';
import { assertCron } from './maintenance';

export interface Settings {
  port: number;
  host: string;
  redisUrl: string;
  dataDir: string;
  apiToken: string;
  /** True when this process generated the admin token, so it prints it once. */
  apiTokenGenerated: boolean;
  tokensFile?: string;
  backendUrl: string;
  passphrase: string;
  /** Key for encrypting bundles at rest. */
  bundleKey: string;
  localPostgresUrl: string;
  githubWebhookSecret?: string;
  logLevel: string;
  /** BullMQ queue name; separate installations sharing one Redis need different ones. */
  queueName: string;
  /** Cron pattern of the drift check of every environment without its own, or "off". */
  driftSchedule: string;
  /** How long one layer's Pulumi operation may run before it is stopped and fails. */
  layerTimeoutMs: number;
  /** Deployments one worker process runs at once. */
  workerConcurrency: number;
  /** Engine processes a worker keeps started ahead of need (0: each operation starts its own). */
  engineWarm: number;
  /** Whether the token that asked for a deployment may also approve it. */
  allowSelfApproval: boolean;
  /**
   * Root of the `local` target's directory buckets. Workers on several machines must all see
   * the same directory here (a shared filesystem): a bucket lives where it was created.
   */
  bucketsDir: string;
  /** How this worker names itself on the deployments it runs (default `<hostname>:<pid>`). */
  workerId: string;
  /** Requests a minute one client address may make to the webhook intake and deploy hooks. */
  rateLimitIntake: number;
  /** Requests a minute one token may make to the authenticated routes. */
  rateLimitPerToken: number;
  /** Mean event-loop delay (ms) past which the API answers 503 instead of queueing requests. */
  maxEventLoopDelayMs: number;
  /**
   * Event-loop utilization (0–1) past which the API answers 503; 1 (the default) never does:
   * a process busy all the time may still answer in time.
   */
  maxEventLoopUtilization: number;
  /** Ended deployments (and their events) are forgotten past this age... */
  retentionMaxAgeMs: number;
  /** ...or past this many newer deployments of the same environment. */
  retentionMaxPerEnvironment: number;
  /** Drift schedules firing more often than this are refused. */
  driftMinIntervalMs: number;
  /** Concurrent event streams (SSE) one API process serves. */
  sseMaxStreams: number;
  /** Concurrent event streams one token may hold open on one API process. */
  sseMaxStreamsPerToken: number;
  /** How long one notification delivery may take before it counts as failed. */
  notificationTimeoutMs: number;
  /** Attempts at one notification delivery before it is given up. */
  notificationAttempts: number;
  /** Wait before the first retry of a delivery; each further retry waits twice as long. */
  notificationBackoffMs: number;
  /** The longest wait between two attempts at a delivery. */
  notificationBackoffMaxMs: number;
}

export class SettingsError extends Error {
  override name = 'SettingsError';
}

/**
 * Reads a secret from `file`, creating it with a random value when missing. The value is written
 * to a file of this process's own and then linked into place, which fails if `file` exists: the
 * API and the worker starting together agree on one value, and neither can read the other's file
 * between its creation and its content (an empty key, refused later as another installation's).
 */
function generatedSecret(file: string, bytes: number): { value: string; generated: boolean } {
  const draft = `${file}.${process.pid}.${randomBytes(4).toString('hex')}`;
  fs.writeFileSync(draft, randomBytes(bytes).toString('base64url'), { flag: 'wx', mode: 0o600 });
  let generated = true;
  try {
    fs.linkSync(draft, file);
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
    generated = false;
    // A file written by another tool, an older version or a copy keeps the mode it was given.
    fs.chmodSync(file, 0o600);
  } finally {
    fs.rmSync(draft, { force: true });
  }
  return { value: fs.readFileSync(file, 'utf8').trim(), generated };
}

/**
 * Prints the admin token once, from whichever process (API or worker) generated it; it stays
 * in the data dir for later starts.
 */
export function announceGeneratedToken(settings: Settings): void {
  if (!settings.apiTokenGenerated) return;
  process.stdout.write(
    `\nstrata: generated an admin API token (kept in ${settings.dataDir}/api-token):\n\n    ${settings.apiToken}\n\n`,
  );
}

function wholeNumber(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isInteger(value) || value < 1) {
    throw new SettingsError(`${name} must be a whole number of at least 1, got "${raw}"`);
  }
  return value;
}

function fraction(env: NodeJS.ProcessEnv, name: string, fallback: number): number {
  const raw = env[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  if (!Number.isFinite(value) || value <= 0 || value > 1) {
    throw new SettingsError(`${name} must be a number above 0 and at most 1, got "${raw}"`);
  }
  return value;
}

function duration(env: NodeJS.ProcessEnv, name: string, fallback: string): number {
  try {
    return durationMs(env[name] ?? fallback);
  } catch (error) {
    throw new SettingsError(`${name}: ${(error as Error).message}`);
  }
}

export function loadSettings(environment: NodeJS.ProcessEnv = process.env): Settings {
  // An empty variable means "not set", as it does for most tools.
  const env = Object.fromEntries(
    Object.entries(environment).filter(([, v]) => v !== ''),
  ) as NodeJS.ProcessEnv;
  const dataDir = path.resolve(env.STRATA_DATA_DIR ?? './.strata');
  fs.mkdirSync(dataDir, { recursive: true, mode: 0o700 });
  // mkdir's mode applies only to a dir it creates; one made by `mkdir -p`, a checkout or an
  // operator keeps its own, and the dir holds the state, the keys and the admin token.
  fs.chmodSync(dataDir, 0o700);
  const port = Number(env.PORT ?? 3000);
  if (!Number.isInteger(port) || port < 0 || port > 65535) {
    throw new SettingsError(`PORT must be a port number, got "${env.PORT}"`);
  }
  const token = env.STRATA_API_TOKEN
    ? { value: env.STRATA_API_TOKEN, generated: false }
    : generatedSecret(path.join(dataDir, 'api-token'), 32);
  const passphrase =
    env.PULUMI_CONFIG_PASSPHRASE ??
    generatedSecret(path.join(dataDir, 'pulumi-passphrase'), 32).value;
  const bundleKey =
    env.STRATA_BUNDLE_KEY ?? generatedSecret(path.join(dataDir, 'bundle-key'), 32).value;
  if (env.STRATA_DRIFT_SCHEDULE) {
    try {
      assertCron(env.STRATA_DRIFT_SCHEDULE);
    } catch (error) {
      throw new SettingsError(`STRATA_DRIFT_SCHEDULE: ${(error as Error).message}`);
    }
  }
  const layerTimeout = env.STRATA_LAYER_TIMEOUT ?? '1h';
  let layerTimeoutMs: number;
  try {
    layerTimeoutMs = durationMs(layerTimeout);
  } catch (error) {
    throw new SettingsError(`STRATA_LAYER_TIMEOUT: ${(error as Error).message}`);
  }
  const workerConcurrency = Number(env.STRATA_WORKER_CONCURRENCY ?? 4);
  if (!Number.isInteger(workerConcurrency) || workerConcurrency < 1) {
    throw new SettingsError(
      `STRATA_WORKER_CONCURRENCY must be a whole number of at least 1, got "${env.STRATA_WORKER_CONCURRENCY}"`,
    );
  }
  const engineWarm = Number(env.STRATA_ENGINE_WARM ?? 2);
  if (!Number.isInteger(engineWarm) || engineWarm < 0) {
    throw new SettingsError(
      `STRATA_ENGINE_WARM must be a whole number of at least 0, got "${env.STRATA_ENGINE_WARM}"`,
    );
  }
  const selfApproval = env.STRATA_ALLOW_SELF_APPROVAL ?? 'true';
  if (selfApproval !== 'true' && selfApproval !== 'false') {
    throw new SettingsError(
      `STRATA_ALLOW_SELF_APPROVAL must be true or false, got "${env.STRATA_ALLOW_SELF_APPROVAL}"`,
    );
  }
  const stateDir = path.join(dataDir, 'state');
  if (!env.PULUMI_BACKEND_URL) fs.mkdirSync(stateDir, { recursive: true });
  const backendProblem = env.PULUMI_BACKEND_URL && backendUrlProblem(env.PULUMI_BACKEND_URL);
  if (backendProblem) throw new SettingsError(backendProblem);
  return {
    port,
    host: env.HOST ?? '127.0.0.1',
    redisUrl: env.REDIS_URL ?? 'redis://127.0.0.1:6379',
    dataDir,
    apiToken: token.value,
    apiTokenGenerated: token.generated,
    tokensFile: env.STRATA_TOKENS_FILE || undefined,
    backendUrl: env.PULUMI_BACKEND_URL ?? pathToFileURL(stateDir).href,
    passphrase,
    bundleKey,
    localPostgresUrl: env.LOCAL_POSTGRES_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    githubWebhookSecret: env.GITHUB_WEBHOOK_SECRET || undefined,
    logLevel: env.LOG_LEVEL ?? 'info',
    queueName: env.STRATA_QUEUE ?? 'strata-deployments',
    driftSchedule: env.STRATA_DRIFT_SCHEDULE ?? '0 4 * * *',
    layerTimeoutMs,
    workerConcurrency,
    engineWarm,
    allowSelfApproval: selfApproval === 'true',
    bucketsDir: path.resolve(env.STRATA_BUCKETS_DIR ?? path.join(dataDir, 'buckets')),
    workerId: env.STRATA_WORKER_ID ?? `${os.hostname()}:${process.pid}`,
    rateLimitIntake: wholeNumber(env, 'STRATA_RATE_LIMIT_INTAKE', 60),
    rateLimitPerToken: wholeNumber(env, 'STRATA_RATE_LIMIT_PER_TOKEN', 1200),
    maxEventLoopDelayMs: wholeNumber(env, 'STRATA_MAX_EVENT_LOOP_DELAY_MS', 1000),
    maxEventLoopUtilization: fraction(env, 'STRATA_MAX_EVENT_LOOP_UTILIZATION', 1),
    retentionMaxAgeMs: duration(env, 'STRATA_RETENTION_MAX_AGE', '30d'),
    retentionMaxPerEnvironment: wholeNumber(env, 'STRATA_RETENTION_MAX_PER_ENVIRONMENT', 100),
    driftMinIntervalMs: duration(env, 'STRATA_DRIFT_MIN_INTERVAL', '5m'),
    sseMaxStreams: wholeNumber(env, 'STRATA_SSE_MAX_STREAMS', 1000),
    sseMaxStreamsPerToken: wholeNumber(env, 'STRATA_SSE_MAX_STREAMS_PER_TOKEN', 100),
    notificationTimeoutMs: duration(env, 'STRATA_NOTIFY_TIMEOUT', '10s'),
    notificationAttempts: wholeNumber(env, 'STRATA_NOTIFY_ATTEMPTS', 8),
    notificationBackoffMs: duration(env, 'STRATA_NOTIFY_BACKOFF', '2s'),
    notificationBackoffMaxMs: duration(env, 'STRATA_NOTIFY_BACKOFF_MAX', '10m'),
  };
}
