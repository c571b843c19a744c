import { spawn, type ChildProcess } from 'node:child_process';
import fs from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { freePort, pause } from './servers';

/** Where `scripts/strata.sh setup` installs Python tools. */
export function pythonTool(command: string): string {
  const cache = process.env.STRATA_CACHE_DIR ?? path.join(os.homedir(), '.cache', 'strata');
  return path.join(cache, 'venv', 'bin', command);
}

/** Moto's S3-compatible server on one address, for an `s3://` state backend in tests. */
export class MotoServer {
  private constructor(
    private readonly process: ChildProcess,
    readonly endpoint: string,
    readonly logs: string[],
  ) {}

  static async start(address = '127.0.0.1'): Promise<MotoServer> {
    const bin = pythonTool('moto_server');
    if (!fs.existsSync(bin)) {
      throw new Error(`${bin} is missing: run \`bash scripts/strata.sh setup\`, which installs it`);
    }
    const port = await freePort();
    const logs: string[] = [];
    const child = spawn(bin, ['-H', address, '-p', String(port)], {
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    child.stdout?.on('data', (d: Buffer) => logs.push(d.toString()));
    child.stderr?.on('data', (d: Buffer) => logs.push(d.toString()));
    const endpoint = `http://${address}:${port}`;
    const moto = new MotoServer(child, endpoint, logs);
    const deadline = Date.now() + 30_000;
    while (
      !(await fetch(endpoint).then(
        (r) => r.status < 500,
        () => false,
      ))
    ) {
      if (Date.now() > deadline || child.exitCode !== null) {
        moto.close();
        throw new Error(`moto_server did not start:\n${logs.join('')}`);
      }
      await pause(200);
    }
    return moto;
  }

  async createBucket(name: string): Promise<void> {
    const response = await fetch(`${this.endpoint}/${name}`, { method: 'PUT' });
    if (!response.ok) throw new Error(`could not create bucket ${name}: ${response.status}`);
  }

  /** Keys under `prefix` in `bucket` (Moto answers unsigned requests). */
  async keys(bucket: string, prefix: string): Promise<string[]> {
    const response = await fetch(
      `${this.endpoint}/${bucket}?list-type=2&prefix=${encodeURIComponent(prefix)}`,
    );
    const xml = await response.text();
    return [...xml.matchAll(/<Key>([^<]*)<\/Key>/g)].map((m) => m[1] ?? '');
  }

  /** The `s3://` backend URL of `bucket` on this server. */
  backendUrl(bucket: string): string {
    return `s3://${bucket}?endpoint=${encodeURIComponent(this.endpoint)}&s3ForcePathStyle=true&region=us-east-1`;
  }

  close(): void {
    if (this.process.exitCode === null && this.process.signalCode === null) {
      this.process.kill('SIGTERM');
    }
  }
}
