/** The dashboard's only way to the API: the signed-in token in a bearer header. */

const TOKEN_KEY = 'strata.token';

export function getToken(): string | null {
  return sessionStorage.getItem(TOKEN_KEY);
}

export function setToken(token: string | null): void {
  if (token) sessionStorage.setItem(TOKEN_KEY, token);
  else sessionStorage.removeItem(TOKEN_KEY);
}

export class ApiError extends Error {
  constructor(
    readonly status: number,
    message: string,
  ) {
    super(message);
  }
}

export async function api<T>(
  path: string,
  init: { method?: string; json?: unknown; token?: string } = {},
): Promise<T> {
  const headers: Record<string, string> = { accept: 'application/json' };
  const token = init.token ?? getToken();
  if (token) headers.authorization = `Bearer ${token}`;
  let body: string | undefined;
  if (init.json !== undefined) {
    headers['content-type'] = 'application/json';
    body = JSON.stringify(init.json);
  }
  const response = await fetch(path, { method: init.method ?? 'GET', headers, body });
  const text = await response.text();
  let parsed: unknown = undefined;
  try {
    parsed = text ? JSON.parse(text) : undefined;
  } catch {
    parsed = text;
  }
  if (!response.ok) {
    const message =
      typeof parsed === 'object' && parsed && 'message' in parsed
        ? String((parsed as { message: unknown }).message)
        : `${response.status} ${response.statusText}`;
    if (response.status === 401 && !init.token) window.dispatchEvent(new Event('strata:signout'));
    throw new ApiError(response.status, message);
  }
  return parsed as T;
}

/** Downloads the environment's `.env` through fetch (the token stays out of the URL). */
export async function downloadEnv(name: string): Promise<void> {
  const response = await fetch(`/v1/environments/${encodeURIComponent(name)}/env`, {
    headers: { authorization: `Bearer ${getToken() ?? ''}` },
  });
  if (!response.ok) {
    const body = (await response.json().catch(() => ({}))) as { message?: string };
    throw new ApiError(response.status, body.message ?? response.statusText);
  }
  const blob = await response.blob();
  const url = URL.createObjectURL(blob);
  const link = document.createElement('a');
  link.href = url;
  link.download = `${name}.env`;
  document.body.append(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 10_000);
}

export interface Me {
  name: string;
  scopes: string[];
}

export interface LayerView {
  target: string;
  config: Record<string, unknown>;
  status: string;
  outputs: Record<string, unknown>;
  updatedAt?: string;
  lastDeployment?: string;
}

export interface Environment {
  name: string;
  stage: string;
  blueprint?: string;
  status: string;
  drift?: boolean;
  requireApproval: boolean;
  ttl?: string;
  expiresAt?: string;
  layers: Record<string, LayerView>;
  createdAt: string;
  updatedAt: string;
}

export interface PlannedStep {
  urn: string;
  op: string;
}

export interface Deployment {
  id: string;
  environment: string;
  operation: string;
  layers: string[];
  status: string;
  trigger: { kind: string; actor?: string; repository?: string; branch?: string; commit?: string };
  layerRuns: Record<
    string,
    { status: string; changes?: Record<string, number>; error?: string; drift?: boolean }
  >;
  queuePosition?: number;
  approval?: {
    plannedSteps: Record<string, PlannedStep[]>;
    approvedBy?: string;
    rejectedBy?: string;
  };
  error?: string;
  drift?: boolean;
  createdAt: string;
  startedAt?: string;
  finishedAt?: string;
}

export interface JsonSchema {
  type?: string | string[];
  enum?: unknown[];
  description?: string;
  default?: unknown;
  properties?: Record<string, JsonSchema>;
  required?: string[];
  minimum?: number;
  maximum?: number;
  anyOf?: JsonSchema[];
  const?: unknown;
}

export interface Target {
  name: string;
  layers: { layer: string; description: string; config: JsonSchema }[];
}

export interface Blueprint {
  name: string;
  version: string;
  description: string;
  layers: Record<string, { target: string }>;
}

export const FINAL = ['succeeded', 'failed', 'cancelled', 'superseded'];
