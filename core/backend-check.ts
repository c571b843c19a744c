import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { backendKind, redactUrl, scrubUrl } from './backend-url';

const run = promisify(execFile);

/** A backend that answered is trusted this long before it is asked again. */
const OK_FOR_MS = 30_000;
/** A failure is reported this long before the next try, so /readyz polling stays cheap. */
const FAILED_FOR_MS = 5_000;

export interface BackendCheck {
  ok: boolean;
  /** What is wrong and what to change; never the URL's password. */
  problem?: string;
}

interface Cached {
  at: number;
  result: BackendCheck;
}

const cache = new Map<string, Cached>();
const inFlight = new Map<string, Promise<BackendCheck>>();

/** Turns the CLI's words into what to change. */
function explain(url: string, message: string): string {
  const where = redactUrl(url);
  const text = scrubUrl(message, url);
  if (/SSL is not enabled on the server/i.test(text)) {
    return `PULUMI_BACKEND_URL (${where}): the PostgreSQL server does not accept SSL connections, and the pulumi CLI uses SSL unless told otherwise: add ?sslmode=disable to PULUMI_BACKEND_URL (or enable SSL on the server)`;
  }
  const lines = text
    .split('\n')
    .map((l) => l.trim())
    .filter((l) => l !== '' && !l.startsWith('Command failed'));
  const said = (lines.find((l) => l.startsWith('error:')) ?? lines.at(-1) ?? text).replace(
    /^error:\s*/,
    '',
  );
  return `PULUMI_BACKEND_URL (${where}) cannot be used: ${said}`;
}

async function probe(url: string, env: NodeJS.ProcessEnv): Promise<BackendCheck> {
  try {
    // `whoami` opens the backend as every operation does (for PostgreSQL: connects, pings and
    // creates the state table), without touching any stack.
    await run('pulumi', ['whoami', '--non-interactive'], {
      timeout: 20_000,
      env: { ...process.env, ...env, PULUMI_BACKEND_URL: url, PULUMI_SKIP_UPDATE_CHECK: 'true' },
    });
    return { ok: true };
  } catch (error) {
    const e = error as Error & { stderr?: string; killed?: boolean };
    if (e.killed) {
      return {
        ok: false,
        problem: `PULUMI_BACKEND_URL (${redactUrl(url)}) did not answer within 20s`,
      };
    }
    return { ok: false, problem: explain(url, `${e.stderr ?? ''}\n${e.message}`) };
  }
}

/**
 * Whether the pulumi CLI can open the state backend at `url`, as a real connection would.
 * Results are cached (briefly), so callers such as /readyz may ask as often as they like.
 */
export async function checkBackend(
  url: string,
  env: NodeJS.ProcessEnv = {},
): Promise<BackendCheck> {
  // The embedded file backend is a directory Strata created itself.
  if (backendKind(url) === 'file') return { ok: true };
  const cached = cache.get(url);
  if (cached && performance.now() - cached.at < (cached.result.ok ? OK_FOR_MS : FAILED_FOR_MS)) {
    return cached.result;
  }
  let pending = inFlight.get(url);
  if (!pending) {
    pending = probe(url, env).finally(() => inFlight.delete(url));
    inFlight.set(url, pending);
  }
  const result = await pending;
  cache.set(url, { at: performance.now(), result });
  return result;
}
