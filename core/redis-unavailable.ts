/**
 * Whether an error means Redis cannot serve right now (down, unreachable, loading, refusing
 * writes), as opposed to a bug: such a request gets 503 and can simply be tried again.
 */
export function isRedisUnavailable(error: unknown): boolean {
  if (!(error instanceof Error)) return false;
  if (error.name === 'MaxRetriesPerRequestError') return true;
  return /^(MISCONF|READONLY|LOADING|MASTERDOWN|BUSY|CLUSTERDOWN)\b|Connection is closed|enableOfflineQueue|Command timed out|ECONNREFUSED|ECONNRESET|ETIMEDOUT|EPIPE|Reached the max retries/.test(
    error.message,
  );
}
