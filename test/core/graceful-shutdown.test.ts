/**
 * What `docker stop` or Ctrl-C does to the API and the worker: the process closes what it
 * holds and exits 0, or 1 when closing failed.
 */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';

const shutdownModule = path.resolve(__dirname, '..', '..', 'core', 'graceful-shutdown.js');

/** A process that closes on a signal with `close`, sent SIGTERM once it is listening. */
function stopped(close: string): Promise<{ code: number | null; stdout: string }> {
  const script = `
    const pino = require('pino');
    const { closeOnSignal } = require(${JSON.stringify(shutdownModule)});
    closeOnSignal(pino({ level: 'silent' }), 'shutting down', ${close});
    setInterval(() => undefined, 1000);
    console.log('ready');
  `;
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['-e', script], { stdio: ['ignore', 'pipe', 'inherit'] });
    let stdout = '';
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString();
      if (stdout.includes('ready\n') && !stdout.includes('sent')) {
        stdout += 'sent\n';
        child.kill('SIGTERM');
      }
    });
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout }));
  });
}

test('SIGTERM closes what the process holds, then it exits 0', async () => {
  const run = await stopped(
    "() => new Promise((done) => setTimeout(() => { console.log('closed'); done(); }, 200))",
  );
  assert.equal(run.code, 0);
  assert.match(run.stdout, /closed/);
});

test('a close that fails ends the process with exit code 1', async () => {
  const run = await stopped("() => Promise.reject(new Error('redis is gone'))");
  assert.equal(run.code, 1);
});
