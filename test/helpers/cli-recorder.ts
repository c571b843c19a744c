import { execFileSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';

/**
 * A `pulumi` first on PATH that records each command line and runs the real CLI: what a worker
 * started with `env` asks of the CLI, seen from outside.
 */
export class CliRecorder {
  private constructor(
    private readonly dir: string,
    readonly env: { PATH: string },
  ) {}

  static create(): CliRecorder {
    const real = execFileSync('sh', ['-c', 'command -v pulumi'], { encoding: 'utf8' }).trim();
    const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-cli-calls-'));
    fs.writeFileSync(
      path.join(dir, 'pulumi'),
      `#!/bin/sh\necho "$*" >> '${path.join(dir, 'calls.log')}'\nexec '${real}' "$@"\n`,
      { mode: 0o755 },
    );
    return new CliRecorder(dir, { PATH: `${dir}${path.delimiter}${process.env.PATH ?? ''}` });
  }

  /** The command lines run so far (arguments only), oldest first. */
  calls(): string[] {
    const file = path.join(this.dir, 'calls.log');
    if (!fs.existsSync(file)) return [];
    return fs.readFileSync(file, 'utf8').trim().split('\n').filter(Boolean);
  }

  close(): void {
    fs.rmSync(this.dir, { recursive: true, force: true });
  }
}
