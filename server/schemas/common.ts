import { Type, type TSchema } from '@sinclair/typebox';

export const ErrorResponse = Type.Object(
  {
    statusCode: Type.Integer(),
    error: Type.String(),
    message: Type.String(),
  },
  { $id: 'ErrorResponse' },
);

/**
 * The error responses every authenticated route can give, by status code: 429 past the
 * token's rate limit, 503 when Redis is away or the process is overloaded.
 */
export const errorResponses = {
  400: ErrorResponse,
  401: ErrorResponse,
  403: ErrorResponse,
  404: ErrorResponse,
  409: ErrorResponse,
  429: ErrorResponse,
  503: ErrorResponse,
};

export const EnvironmentName = Type.String({
  // The pattern bounds the length (40), so it never runs long.
  pattern: '^[a-z][a-z0-9-]{1,38}[a-z0-9]$',
  description: 'lowercase letters, digits and "-", 3 to 40 characters, starting with a letter',
});

export const DeploymentId = Type.String({
  pattern: '^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$',
  description: 'a deployment id (a UUID, as the API returned it)',
});

// Route parameters reach Redis as parts of key names: only well-formed ones get that far.
export const NameParams = Type.Object({ name: EnvironmentName });
export const IdParams = Type.Object({ id: DeploymentId });

/** An object whose keys are not known in advance (config, outputs). */
export const FreeObject = Type.Record(Type.String(), Type.Unknown());

/**
 * A string from a fixed list, as one JSON Schema `enum` so a bad value is reported once as
 * "must be one of …", where a union of literals would report every alternative.
 */
export const StringEnum = <T extends readonly string[]>(
  values: T,
  options: { description?: string } = {},
) => Type.Unsafe<T[number]>({ type: 'string', enum: [...values], ...options });

export const Nullable = <T extends TSchema>(schema: T) => Type.Union([schema, Type.Null()]);
