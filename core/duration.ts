const UNITS: Record<string, number> = { ms: 1, s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** "500ms", "90s", "15m", "8h", "7d" -> milliseconds; the API schema guarantees the shape. */
export function durationMs(duration: string): number {
  const match = /^([1-9][0-9]*)(ms|s|m|h|d)$/.exec(duration);
  if (!match) throw new Error(`"${duration}" is not a duration such as 90s, 15m, 8h or 7d`);
  return Number(match[1]) * UNITS[match[2] as string]!;
}

/** Milliseconds as the largest whole unit: 300000 -> "5m", 90000 -> "90s". */
export function formatDuration(ms: number): string {
  for (const unit of ['d', 'h', 'm'] as const) {
    const size = UNITS[unit] as number;
    if (ms >= size && ms % size === 0) return `${ms / size}${unit}`;
  }
  return `${Math.round(ms / 1000)}s`;
}
