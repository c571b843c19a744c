/**
 * The import check `npm test` runs, against small trees written for each case: it must fail
 * on what it exists to catch, and pass a tree without it.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, it } from 'node:test';

// Compiled to dist/test/scripts: the project root is three levels up.
const root = path.resolve(__dirname, '..', '..', '..');

function check(tree: Record<string, string>): { status: number | null; stderr: string } {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'strata-imports-'));
  try {
    for (const [file, text] of Object.entries(tree)) {
      fs.mkdirSync(path.dirname(path.join(dir, file)), { recursive: true });
      fs.writeFileSync(path.join(dir, file), text);
    }
    const run = spawnSync(
      process.execPath,
      [path.join(root, 'scripts', 'check-imports.mjs'), dir],
      {
        encoding: 'utf8',
      },
    );
    return { status: run.status, stderr: run.stderr };
  } finally {
    fs.rmSync(dir, { recursive: true, force: true });
  }
}

describe('import check', () => {
  it('passes a tree whose folders depend one way', () => {
    const run = check({
      'core/a.ts': 'export const a = 1;\n',
      'server/b.ts': "import { a } from '../core/a';\nexport const b = a;\n",
      'programs/aws/c.ts': "import { d } from '../lib/d';\nexport const c = d;\n",
      'programs/lib/d.ts': "import { a } from '../../core/a';\nexport const d = a;\n",
    });
    assert.equal(run.status, 0, run.stderr);
  });

  it('fails on a cycle between two files', () => {
    const run = check({
      'core/a.ts': "import { b } from './b';\nexport const a = () => b;\n",
      'core/b.ts': "import { a } from './a';\nexport const b = () => a;\n",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /import cycle between files: core\/a\.ts, core\/b\.ts/);
  });

  it('fails on a cycle between folders even when no files form one', () => {
    const run = check({
      'core/a.ts': "import { c } from '../server/c';\nexport const a = c;\n",
      'core/b.ts': 'export const b = 1;\n',
      'server/c.ts': 'export const c = 1;\n',
      'server/d.ts': "import { b } from '../core/b';\nexport const d = b;\n",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /import cycle between folders: core, server/);
  });

  it("fails when a cloud's programs import a sibling cloud's", () => {
    const run = check({
      'programs/hcloud/cidr.ts': "export const ANY = '0.0.0.0/0';\n",
      'programs/gcp/network.ts': "import { ANY } from '../hcloud/cidr';\nexport const n = ANY;\n",
    });
    assert.equal(run.status, 1);
    assert.match(run.stderr, /programs\/gcp\/network\.ts imports programs\/hcloud\/cidr\.ts/);
  });
});
