import { createHmac } from 'node:crypto';
import type { Redis } from 'ioredis';
import { luaScript } from './lua-script';
import type { RedisKeys } from './redis-keys';

export class InstallationMismatchError extends Error {
  override name = 'InstallationMismatchError';
}

const claimScript = luaScript('claim-installation');

/** Identifies a bundle key without revealing it: an HMAC of a fixed label under the key. */
export function bundleKeyFingerprint(bundleKey: string): string {
  return createHmac('sha256', bundleKey)
    .update('strata installation fingerprint')
    .digest('hex')
    .slice(0, 16);
}

/**
 * Makes sure this process belongs to the installation that owns its namespace in Redis. The
 * first process of an installation records its bundle key's fingerprint; a process with another
 * key would read records it cannot decrypt and run deployments that are not its own, so it is
 * refused with what to change.
 */
export async function claimInstallation(
  redis: Redis,
  keys: RedisKeys,
  bundleKey: string,
): Promise<void> {
  const mine = bundleKeyFingerprint(bundleKey);
  const [fingerprint, , since] = (await claimScript.run(
    redis,
    [keys.installation()],
    [mine, keys.namespace, new Date().toISOString()],
  )) as [string, string, string];
  if (fingerprint !== mine) {
    throw new InstallationMismatchError(
      `this Redis already holds the Strata installation with queue "${keys.namespace}" (since ${since}), ` +
        `whose STRATA_BUNDLE_KEY differs from this process's. Give this process that installation's ` +
        `STRATA_BUNDLE_KEY (and PULUMI_CONFIG_PASSPHRASE) to join it, or a Redis of its own (REDIS_URL) ` +
        `or another STRATA_QUEUE to run a separate installation.`,
    );
  }
}
