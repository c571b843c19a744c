import type { TObject } from '@sinclair/typebox';
import { Value, ValueErrorType } from '@sinclair/typebox/value';
import type { Stage } from '../core/domain';
import type { LayerDefinition } from './types';

export class ConfigError extends Error {
  constructor(readonly problems: string[]) {
    super(problems.join('; '));
    this.name = 'ConfigError';
  }
}

/** "/instances/0/flavor" -> "instances[0].flavor", the way users write config paths. */
function fieldName(pointer: string): string {
  return pointer
    .split('/')
    .filter(Boolean)
    .map((part, i) => (/^\d+$/.test(part) ? `[${part}]` : i === 0 ? part : `.${part}`))
    .join('');
}

/** Every problem with a config object against a schema, each naming its field. */
export function schemaProblems(schema: TObject, value: unknown, prefix: string): string[] {
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
