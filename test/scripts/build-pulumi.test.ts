/**
 * The pulumi CLI build takes minutes; its progress reporter is run here against a stand-in
 * command rather than the real build.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { describe, it } from 'node:test';

// Compiled to dist/test/scripts: the project root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');

function withProgress(script: string): { status: number | null; stderr: string; stdout: string } {
  const result = spawnSync(
    'bash',
    ['-c', `source "${root}/scripts/build-pulumi.sh" --functions-only; ${script}`],
    {
      encoding: 'utf8',
      env: { ...process.env, STRATA_PROGRESS_INTERVAL: '1' },
    },
  );
  return { status: result.status, stderr: result.stderr, stdout: result.stdout };
}

describe('progress while the pulumi CLI builds', () => {
  it('says every interval what it is doing and how long it has been at it', () => {
    const run = withProgress(
      'with_progress "building pulumi v9.9.9 from the Go module proxy" "compiling" sleep 3.5',
    );
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stderr.split('\n').filter((l) => l.includes('still building'));
    assert.ok(lines.length >= 2, `progress lines:\n${run.stderr}`);
    for (const line of lines) {
      assert.match(
        line,
        /^strata: still building pulumi v9\.9\.9 from the Go module proxy: (\d+m)?\d+s elapsed \(compiling\)$/,
      );
    }
  });

  it('passes the command through: its output, its exit status, no reporter left behind', () => {
    const run = withProgress(
      'with_progress "building" "downloading modules" bash -c "echo out; exit 7" && s=0 || s=$?; echo "status $s"; sleep 1.5; jobs -p | wc -l',
    );
    assert.equal(run.status, 0, run.stderr);
    assert.deepEqual(run.stdout.trim().split('\n'), ['out', 'status 7', '0']);
    assert.ok(!run.stderr.includes('still'), run.stderr);
  });
});
