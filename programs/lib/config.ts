import type { TObject } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import type { Stage } from '../../core/domain';
import type { LayerDefinition } from './types';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/** Throws ConfigError when a layer's `check` found problems. */
export function failOn(problems: string[]): void {
  if (problems.length > 0) throw new ConfigError(problems);
}

/** Items of a list whose `name` repeats an earlier one's, each named by its place. */
export function usedTwice(items: { name: string }[], field: string): string[] {
  const seen = new Set<string>();
  return items.flatMap((item, i) => {
    const repeated = seen.has(item.name);
    seen.add(item.name);
    return repeated ? [`${field}[${i}].name: "${item.name}" is used twice`] : [];
  });
}

/** "/instances/0/flavor" -> "instances[0].flavor", the way users write config paths. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/** The longest string a pattern is ever run on when its schema sets no maxLength of its own. */
export const PATTERN_INPUT_LIMIT = 1024;
/** The longest key of a config map (its keys are checked against a pattern too). */
const KEY_LIMIT = 256;

type SchemaNode = {
  type?: string;
  pattern?: string;
  maxLength?: number;
  properties?: Record<string, SchemaNode>;
  items?: SchemaNode;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: SchemaNode | boolean;
  anyOf?: SchemaNode[];
};

/**
 * Strings longer than their field allows, found before any pattern runs: a regular expression
 * can take time that grows faster than its input, and a hostile megabyte must not hold the
 * process. Every string a pattern would see is bounded (its maxLength, or PATTERN_INPUT_LIMIT).
 */
export function overlongStrings(schema: SchemaNode, value: unknown, where: string): string[] {
  if (typeof value === 'string') {
    const limit = schema.maxLength ?? (schema.pattern ? PATTERN_INPUT_LIMIT : undefined);
    return limit !== undefined && value.length > limit
      ? [`${where}: must be at most ${limit} characters (got ${value.length})`]
      : [];
  }
  const problems: string[] = [];
  for (const alternative of schema.anyOf ?? []) {
    problems.push(...overlongStrings(alternative, value, where));
  }
  if (Array.isArray(value)) {
    if (schema.items) {
      value.forEach((item, i) =>
        problems.push(...overlongStrings(schema.items!, item, `${where}[${i}]`)),
      );
    }
    return problems;
  }
  if (value === null || typeof value !== 'object') return problems;
  const mapped = Object.values(schema.patternProperties ?? {})[0];
  for (const [key, child] of Object.entries(value)) {
    const field = where ? `${where}.${key}` : key;
    const known = schema.properties?.[key];
    if (known) {
      problems.push(...overlongStrings(known, child, field));
    } else if (mapped || schema.patternProperties) {
      if (key.length > KEY_LIMIT) {
        problems.push(
          `${where}: key "${key.slice(0, 40)}…" is longer than ${KEY_LIMIT} characters`,
        );
      } else if (mapped) {
        problems.push(...overlongStrings(mapped, child, field));
      }
    }
  }
  return problems;
}

/** Every problem with a config object against a schema, each naming its field. */
export function schemaProblems(schema: TObject, value: unknown, prefix: string): string[] {
  const overlong = overlongStrings(schema as SchemaNode, value, prefix);
  if (overlong.length > 0) return overlong;
  return [...Value.Errors(schema, value)].map((error) => {
    const field = fieldName(error.path);
    const where = field ? `${prefix}.${field}` : prefix;
    if (error.type === ValueErrorType.ObjectAdditionalProperties) {
      const parent = error.path.split('/').slice(0, -1).join('/');
      const allowed = parent === '' ? Object.keys(schema.properties) : [];
      return `${where}: unknown field${allowed.length > 0 ? ` (allowed: ${allowed.join(', ')})` : ''}`;
    }
    if (
      error.type === ValueErrorType.StringPattern &&
      typeof error.schema.description === 'string'
    ) {
      return `${where}: ${error.message} (${error.schema.description})`;
    }
    return `${where}: ${error.message}`;
  });
}

/**
 * The config a program runs with: schema defaults, then the stage preset, then the
 * environment's own values, then what the stage enforces. Throws ConfigError naming each
 * bad field.
 */
export function resolveLayerConfig(
  definition: LayerDefinition,
  stage: Stage,
  config: Record<string, unknown>,
  prefix = `layers.${definition.layer}.config`,
): Record<string, unknown> {
  const problems = schemaProblems(
    definition.config,
    Value.Default(definition.config, structuredClone(config)),
    prefix,
  );
  if (problems.length > 0) throw new ConfigError(problems);
  const merged = {
    ...(definition.presets?.[stage] ?? {}),
    ...config,
    ...(definition.enforced?.[stage] ?? {}),
  };
  const resolved = Value.Default(definition.config, structuredClone(merged)) as Record<
    string,
    unknown
  >;
  const after = schemaProblems(definition.config, resolved, prefix);
  if (after.length > 0) throw new ConfigError(after);
  return resolved;
}
