import * as pulumi from '@pulumi/pulumi';

/**
 * Hetzner IDs are numbers in the API but strings in Pulumi state (`resource.id`), and the
 * provider wants numbers where one resource refers to another. Offline plans run under mocks
 * whose IDs are names: those are kept as they are so the plan shows what refers to what.
 */
export function hcloudId(id: pulumi.Input<string>): pulumi.Output<number> {
  return pulumi.output(id).apply(hcloudNumber);
}

export function hcloudNumber(value: string): number {
  const numeric = Number(value);
  return (Number.isInteger(numeric) ? numeric : value) as number;
}

/** Several outputs as one comma-separated stack output (stack outputs become `.env` values). */
export function joinOutputs(values: pulumi.Input<string>[]): pulumi.Output<string> {
  return pulumi.all(values).apply((all) => all.filter((v) => v).join(','));
}

/** The inverse of joinOutputs, for a layer reading another layer's list. */
export function splitList(value: string | undefined): string[] {
  return (value ?? '')
    .split(',')
    .map((v) => v.trim())
    .filter(Boolean);
}
