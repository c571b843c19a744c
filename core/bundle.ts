import type { LayerName, StackOutputs } from './domain';

export interface BundleEntry {
  key: string;
  value: string;
  layer: LayerName;
  secret: boolean;
}

/** An environment's stack outputs and the `.env` entries rendered from them; stored encrypted. */
export interface Bundle {
  environment: string;
  generatedAt: string;
  entries: BundleEntry[];
  /** Raw outputs per layer, secrets included: what later layers read as their inputs. */
  outputs: Partial<Record<LayerName, StackOutputs>>;
}

export class BundleEncodingError extends Error {
  override name = 'BundleEncodingError';
}

/** A stack output as the string an application reads from its environment. */
export function envValue(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === undefined || value === null) return '';
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}

/**
 * Quotes a value so that dotenv.parse returns it unchanged. dotenv has no general escape:
 * single quotes keep everything literal, double quotes only turn `\n`/`\r` into line breaks,
 * and it folds CR LF to LF before parsing; so the quote is chosen by what the value contains.
 */
export function quoteEnvValue(key: string, value: string): string {
  if (!value.includes("'") && !value.includes('\r')) return `'${value}'`;
  if (!value.includes('"') && !/\\[nr]/.test(value)) return `"${value.replace(/\r/g, '\\r')}"`;
  if (!value.includes('`') && !value.includes('\r')) return `\`${value}\``;
  throw new BundleEncodingError(
    `${key}: a value holding all three quote characters cannot be written to a .env file`,
  );
}

export function renderEnv(bundle: Bundle, layers: LayerName[]): string {
  const header = [
    `# Strata bundle for environment ${bundle.environment}`,
    `# layers: ${layers.join(', ') || 'none'}`,
    `# generated: ${bundle.generatedAt}`,
  ];
  const lines = bundle.entries
    .filter((e) => layers.includes(e.layer))
    .map((e) => `${e.key}=${quoteEnvValue(e.key, e.value)}`);
  return [...header, ...lines, ''].join('\n');
}
