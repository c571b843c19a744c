import { urlSecrets } from '../../core/backend-url';
import type { LayerTask } from './layer-task';

/** Every secret an engine process is handed, so no event or error can carry one out. */
export function knownSecrets(task: LayerTask, extra: string[] = []): string[] {
  const secrets = Object.values(task.inputs).flatMap((outputs) =>
    Object.values(outputs ?? {})
      .filter((o) => o.secret && o.value !== undefined && o.value !== null)
      .map((o) => (typeof o.value === 'string' ? o.value : JSON.stringify(o.value))),
  );
  const adminPassword = new URL(task.localPostgresUrl).password;
  if (adminPassword) secrets.push(decodeURIComponent(adminPassword), adminPassword);
  // The backend URL may carry the state database's password; the CLI quotes the URL in errors.
  secrets.push(...urlSecrets(task.backendUrl));
  secrets.push(...extra);
  // Very short values would redact ordinary words; real secrets are long.
  return secrets.filter((s) => s.length >= 6);
}

/** `text` with every secret, as it is or as it appears inside a JSON string, replaced. */
export function scrubText(text: string, secrets: string[]): string {
  let scrubbed = text;
  for (const secret of secrets) {
    scrubbed = scrubbed.split(secret).join('[secret]');
    scrubbed = scrubbed.split(JSON.stringify(secret).slice(1, -1)).join('[secret]');
  }
  return scrubbed;
}

export function scrub<T>(event: T, secrets: string[]): T {
  if (secrets.length === 0) return event;
  let text = JSON.stringify(event);
  // Inside the JSON text a secret appears escaped.
  for (const secret of secrets)
    text = text.split(JSON.stringify(secret).slice(1, -1)).join('[secret]');
  return JSON.parse(text) as T;
}
