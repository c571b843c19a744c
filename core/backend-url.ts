/**
 * PULUMI_BACKEND_URL: which kinds Strata accepts, what each means for several machines, and how
 * to show one without its password.
 */

/** `file` is one machine's disk; every other kind can be shared by workers on many machines. */
export type BackendKind = 'file' | 'postgres' | 's3' | 'gs' | 'azblob' | 'cloud';

const SCHEMES: Record<string, BackendKind> = {
  'file:': 'file',
  'postgres:': 'postgres',
  's3:': 's3',
  'gs:': 'gs',
  'azblob:': 'azblob',
  'https:': 'cloud',
  'http:': 'cloud',
};

/** Why `url` cannot be a backend, or undefined when it can. */
export function backendUrlProblem(url: string): string | undefined {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return `PULUMI_BACKEND_URL is not a URL: use file://<dir>, postgres://user:password@host:port/database?sslmode=disable, s3://<bucket>, gs://<bucket>, azblob://<container> or a Pulumi Cloud URL`;
  }
  if (parsed.protocol === 'postgresql:') {
    return 'PULUMI_BACKEND_URL: the pulumi CLI knows the PostgreSQL backend as postgres://, not postgresql://';
  }
  const kind = SCHEMES[parsed.protocol];
  if (!kind) {
    return `PULUMI_BACKEND_URL: "${parsed.protocol}//" is not a Pulumi state backend Strata supports (file://, postgres://, s3://, gs://, azblob://, https:// for Pulumi Cloud)`;
  }
  if (kind === 'postgres') {
    if (!parsed.hostname) return 'PULUMI_BACKEND_URL: a postgres:// URL needs a host';
    if (parsed.pathname.length <= 1) {
      return 'PULUMI_BACKEND_URL: a postgres:// URL needs a database, e.g. postgres://user:password@host:5432/pulumi?sslmode=disable';
    }
  }
  if (kind !== 'file' && kind !== 'cloud' && !parsed.hostname) {
    return `PULUMI_BACKEND_URL: a ${kind}:// URL needs a bucket or container name`;
  }
  return undefined;
}

export function backendKind(url: string): BackendKind {
  return SCHEMES[new URL(url).protocol] ?? 'file';
}

/** The URL with its password (and any secret-looking query value) replaced, for messages. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url);
    if (parsed.password) parsed.password = '***';
    for (const key of [...parsed.searchParams.keys()]) {
      if (/secret|password|token|key/i.test(key)) parsed.searchParams.set(key, '***');
    }
    return parsed.href;
  } catch {
    return '[an unparseable URL]';
  }
}

/** The secrets a backend URL carries, as they may appear in text (raw and decoded). */
export function urlSecrets(url: string): string[] {
  try {
    const parsed = new URL(url);
    const values = [parsed.password];
    for (const [key, value] of parsed.searchParams) {
      if (/secret|password|token|key/i.test(key)) values.push(value);
    }
    return values
      .filter((v) => v !== '')
      .flatMap((v) => {
        const decoded = safeDecode(v);
        return decoded === v ? [v] : [v, decoded];
      });
  } catch {
    return [];
  }
}

function safeDecode(value: string): string {
  try {
    return decodeURIComponent(value);
  } catch {
    return value;
  }
}

/** Replaces every secret of `url` (and the URL itself) in `text`. */
export function scrubUrl(text: string, url: string): string {
  let out = text.split(url).join(redactUrl(url));
  for (const secret of urlSecrets(url)) out = out.split(secret).join('***');
  return out;
}
