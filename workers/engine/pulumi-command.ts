import { PulumiCommand } from '@pulumi/pulumi/automation';
import semver from 'semver';

/**
 * The CLI on PATH for an engine process. With the version the worker read, it is built here:
 * `PulumiCommand.get()` would run `pulumi version` once more, and its constructor is private,
 * so the instance is made from its prototype with the two fields `get()` sets.
 */
export function pulumiCommand(version: string | undefined): Promise<PulumiCommand> {
  const parsed = semver.parse(version);
  if (!parsed) return PulumiCommand.get();
  const command = Object.create(PulumiCommand.prototype) as PulumiCommand;
  return Promise.resolve(Object.assign(command, { command: 'pulumi', version: parsed }));
}
