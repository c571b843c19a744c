import { Type } from '@sinclair/typebox';

/** Settings every gcp layer shares; the project defaults to the provider's (GOOGLE_PROJECT). */
export const gcpCommon = {
  project: Type.Optional(
    Type.String({
      pattern: '^[a-z][a-z0-9-]{4,28}[a-z0-9]$',
      description: "GCP project ID; default: the provider's.",
    }),
  ),
  region: Type.String({
    pattern: '^[a-z]+-[a-z]+[0-9]$',
    default: 'europe-west1',
    description: 'Region, e.g. europe-west1, us-central1.',
  }),
};

/** GCP resource names: lower case, digits and hyphens, starting with a letter, at most `max` long. */
export function gcpName(...parts: string[]): string {
  return parts
    .join('-')
    .toLowerCase()
    .replace(/[^a-z0-9-]/g, '-')
    .replace(/^[^a-z]+/, '')
    .slice(0, 60)
    .replace(/-+$/, '');
}
