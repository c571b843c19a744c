import type { PlannedStep } from '../../core/domain';

function stepKey(step: PlannedStep): string {
  return `${step.op} ${step.urn}`;
}

/** Differences between what was approved and what a fresh preview would do, or undefined. */
export function planDifference(approved: PlannedStep[], now: PlannedStep[]): string | undefined {
  const before = new Set(approved.map(stepKey));
  const after = new Set(now.map(stepKey));
  const added = [...after].filter((k) => !before.has(k));
  const gone = [...before].filter((k) => !after.has(k));
  if (added.length === 0 && gone.length === 0) return undefined;
  return [
    'the changes differ from the approved preview, so nothing was applied; request a new deployment to preview and approve again',
    ...added.map((k) => `  new: ${k}`),
    ...gone.map((k) => `  no longer planned: ${k}`),
  ].join('\n');
}
