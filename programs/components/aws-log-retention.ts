import { Type } from '@sinclair/typebox';

/** The only retention periods CloudWatch Logs accepts; anything else fails at deploy time. */
export const CLOUDWATCH_RETENTION_DAYS = [
  1, 3, 5, 7, 14, 30, 60, 90, 120, 150, 180, 365, 400, 545, 731, 1096, 1827, 2192, 2557, 2922, 3288,
  3653,
] as const;

export function logRetentionSchema(defaultDays: (typeof CLOUDWATCH_RETENTION_DAYS)[number]) {
  return Type.Union(
    CLOUDWATCH_RETENTION_DAYS.map((d) => Type.Literal(d)),
    {
      default: defaultDays,
      description: `Days CloudWatch keeps logs; one of ${CLOUDWATCH_RETENTION_DAYS.join(', ')}`,
    },
  );
}
