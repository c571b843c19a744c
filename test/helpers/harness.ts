import { randomBytes } from 'node:crypto';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import pino, { type Logger } from 'pino';
import { newDeployment } from '../../core/deployment-lifecycle';
import type { EnvironmentRecord } from '../../core/domain';
import { loadSettings, type Settings } from '../../core/settings';
import { buildApp } from '../../server/app';
import { startWorker, type RunningWorker } from '../../workers/worker';
import { NO_RATE_LIMITS } from './servers';

export const ADMIN_TOKEN = 'test-admin-token-0123456789abcdef';

export interface Harness {
  url: string;
  settings: Settings;
  queueName: string;
  worker?: RunningWorker;
  app: Awaited<ReturnType<typeof buildApp>>;
  /** fetch against the API with the admin token unless headers say otherwise. */
  api(pathname: string, init?: RequestInit & { json?: unknown }): Promise<Response>;
  close(): Promise<void>;
}

/** A name no other test (or test process) uses, so tests share one Redis safely. */
export function uniqueName(prefix: string): string {
  return `${prefix}-${randomBytes(3).toString('hex')}`;
}

export interface HarnessOptions {
  worker?: boolean;
  env?: NodeJS.ProcessEnv;
  /** Where the API and the worker log; silent unless TEST_LOG_LEVEL says otherwise. */
  logger?: Logger;
}

/** The API on a random port and, unless told otherwise, a worker, on a fresh queue and data dir. */
export async function startHarness(options: HarnessOptions = {}): Promise<Harness> {
  const dataDir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-test-'));
  const settings = loadSettings({
    ...process.env,
    STRATA_DATA_DIR: dataDir,
    STRATA_API_TOKEN: ADMIN_TOKEN,
    PULUMI_BACKEND_URL: '',
    ...NO_RATE_LIMITS,
    ...options.env,
  });
  const queueName = uniqueName('test-queue');
  const logger = options.logger ?? pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });
  const app = await buildApp({ settings, logger, queueName });
  await app.listen({ port: 0, host: '127.0.0.1' });
  const address = app.server.address();
  if (!address || typeof address === 'string') throw new Error('the API did not bind a port');
  const url = `http://127.0.0.1:${address.port}`;
  const worker =
    options.worker === false ? undefined : await startWorker({ settings, logger, queueName });
  const harness: Harness = {
    url,
    settings,
    queueName,
    worker,
    app,
    api(pathname, init = {}) {
      const headers = new Headers(init.headers);
      if (!headers.has('authorization')) headers.set('authorization', `Bearer ${ADMIN_TOKEN}`);
      let body = init.body;
      if (init.json !== undefined) {
        headers.set('content-type', 'application/json');
        body = JSON.stringify(init.json);
      }
      return fetch(`${url}${pathname}`, { ...init, headers, body });
    },
    async close() {
      // The worker a test may have replaced, not necessarily the first one.
      await harness.worker?.close();
      await app.close();
      const queue = app.strata.lifecycle.queue;
      await queue.obliterate({ force: true }).catch(() => undefined);
      fs.rmSync(dataDir, { recursive: true, force: true });
    },
  };
  return harness;
}

export interface SseEvent {
  id?: number;
  event: string;
  data: unknown;
}

/** Reads a Server-Sent Events response until `event: end` (or the stream closes). */
export async function readEvents(response: Response): Promise<SseEvent[]> {
  if (!response.body) throw new Error('no body');
  const events: SseEvent[] = [];
  const decoder = new TextDecoder();
  let buffer = '';
  for await (const chunk of response.body) {
    buffer += decoder.decode(chunk as Uint8Array, { stream: true });
    let boundary: number;
    while ((boundary = buffer.indexOf('\n\n')) >= 0) {
      const block = buffer.slice(0, boundary);
      buffer = buffer.slice(boundary + 2);
      const fields: Record<string, string> = {};
      for (const line of block.split('\n')) {
        if (line.startsWith(':')) continue;
        const at = line.indexOf(':');
        fields[line.slice(0, at)] = line.slice(at + 1).trimStart();
      }
      if (!fields.event) continue;
      events.push({
        id: fields.id === undefined ? undefined : Number(fields.id),
        event: fields.event,
        data: JSON.parse(fields.data ?? 'null'),
      });
      if (fields.event === 'end') return events;
    }
  }
  return events;
}

/** Polls a deployment until it reaches one of `statuses` (by default, any final one). */
export async function waitForDeployment(
  h: Harness,
  id: string,
  timeoutMs = 120_000,
  statuses: string[] = ['succeeded', 'failed', 'cancelled', 'superseded'],
): Promise<Record<string, unknown>> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const response = await h.api(`/v1/deployments/${id}`);
    const body = (await response.json()) as Record<string, unknown>;
    if (statuses.includes(String(body.status))) return body;
    if (Date.now() > deadline) {
      throw new Error(`deployment ${id} still ${String(body.status)} after ${timeoutMs}ms`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }
}

/** Creates an environment and waits for its first deployment to end; returns the deployment. */
export async function createEnvironment(
  h: Harness,
  json: Record<string, unknown>,
  until: string[] = ['succeeded', 'failed', 'cancelled'],
): Promise<{ id: string; status: string } & Record<string, unknown>> {
  const created = await h.api('/v1/environments', { method: 'POST', json });
  const body = (await created.json()) as { deployment: { id: string }; message?: string };
  if (created.status !== 202) throw new Error(`create failed: ${created.status} ${body.message}`);
  return (await waitForDeployment(h, body.deployment.id, 120_000, until)) as {
    id: string;
    status: string;
  };
}

/**
 * Writes a deployment record as it would stand after it ran, for tests that need a finished
 * deployment without running one (a fixture: the lifecycle writes every record in service).
 */
export async function seedDeployment(
  services: { redis: Harness['app']['strata']['redis']; keys: Harness['app']['strata']['keys'] },
  deployment: { id: string; environment: string; createdAt: string },
): Promise<void> {
  await services.redis
    .multi()
    .set(services.keys.deployment(deployment.id), JSON.stringify(deployment))
    .zadd(
      services.keys.environmentDeployments(deployment.environment),
      Date.parse(deployment.createdAt),
      deployment.id,
    )
    .exec();
}

/** An environment record as the API stores one, for tests that write records directly. */
export function environmentRecord(fields: Partial<EnvironmentRecord> = {}): EnvironmentRecord {
  const createdAt = fields.createdAt ?? new Date().toISOString();
  return {
    name: uniqueName('env'),
    stage: 'dev',
    layers: { data: { target: 'local', config: {} } },
    config: {},
    requireApproval: false,
    status: 'ready',
    layerStates: {},
    createdAt,
    updatedAt: createdAt,
    ...fields,
  };
}

/**
 * A deployment queued on a new environment of `h`'s store. Start the harness without a worker:
 * the deployment then stays queued while the test writes its events itself.
 */
export async function queuedDeployment(h: Harness, prefix: string): Promise<string> {
  const environment = environmentRecord({ name: uniqueName(prefix), status: 'provisioning' });
  const deployment = newDeployment(environment, 'up', { kind: 'api' });
  await h.app.strata.store.createEnvironment(environment);
  await h.app.strata.lifecycle.enqueue(deployment);
  return deployment.id;
}
