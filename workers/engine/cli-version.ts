import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import semver from 'semver';

const run = promisify(execFile);

/**
 * The variable through which the worker hands its engine processes the CLI version it read once
 * at start, so they need not each run `pulumi version` again (about 0.45 s of CPU per process).
 */
export const CLI_VERSION_VARIABLE = 'STRATA_PULUMI_VERSION';

/** The Automation API SDK of this build speaks to CLI major version 3. */
const SDK_MAJOR = 3;

/**
 * The version of the `pulumi` on PATH, as its engine processes will find it; a problem that says
 * what to do when it cannot be run or its version is not one this SDK speaks to (engines then
 * check for themselves and fail their operation with the SDK's own message). Never rejects.
 */
export async function readCliVersion(
  env: NodeJS.ProcessEnv,
): Promise<{ version: string } | { problem: string }> {
  try {
    const { stdout } = await run('pulumi', ['version'], {
      env: { ...env, PULUMI_SKIP_UPDATE_CHECK: 'true' },
      timeout: 30_000,
    });
    const parsed = semver.parse(stdout.trim());
    if (!parsed) return { problem: `"pulumi version" printed "${stdout.trim()}", not a version` };
    if (parsed.major !== SDK_MAJOR) {
      return {
        problem: `the pulumi CLI on PATH is ${parsed.version}; this build needs major version ${SDK_MAJOR}`,
      };
    }
    return { version: parsed.version };
  } catch (error) {
    return {
      problem: `the pulumi CLI could not be run (${(error as Error).message}); "npm start" builds it, or put one on PATH`,
    };
  }
}
