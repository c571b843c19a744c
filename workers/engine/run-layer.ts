import { fork } from 'node:child_process';
import path from 'node:path';
import type { ChildMessage, LayerResult, LayerTask, ParentMessage } from './layer-task';

export class LayerFailedError extends Error {
  override name = 'LayerFailedError';
  constructor(
    message: string,
    readonly cancelled = false,
  ) {
    super(message);
  }
}

export interface RunLayerOptions {
  onEvent: (event: unknown) => void;
  signal?: AbortSignal;
  /** Extra environment for the engine process (the state passphrase). */
  env?: Record<string, string>;
}

/** The CLI's error text ends with the part a user needs; the start repeats the command line. */
function shorten(message: string): string {
  const lines = message.split('\n').filter((l) => l.trim() !== '');
  return lines.slice(-15).join('\n').slice(-4000);
}

/** Runs one Pulumi operation in a child process, streaming its engine events. */
export function runLayer(task: LayerTask, options: RunLayerOptions): Promise<LayerResult> {
  return new Promise((resolve, reject) => {
    const child = fork(path.join(__dirname, 'layer-process.js'), [], {
      stdio: ['ignore', 'pipe', 'pipe', 'ipc'],
      env: { ...process.env, ...options.env },
    });
    let stderr = '';
    child.stderr?.on('data', (chunk: Buffer) => {
      stderr = (stderr + chunk.toString()).slice(-8000);
    });
    child.stdout?.resume();
    let settled = false;
    const finish = (error: Error | undefined, result?: LayerResult): void => {
      if (settled) return;
      settled = true;
      options.signal?.removeEventListener('abort', onAbort);
      if (error) reject(error);
      else resolve(result as LayerResult);
    };
    const onAbort = (): void => {
      if (child.connected) child.send({ type: 'cancel' } satisfies ParentMessage);
    };
    options.signal?.addEventListener('abort', onAbort);
    child.on('message', (message: ChildMessage) => {
      if (message.type === 'event') options.onEvent(message.event);
      else if (message.type === 'result') finish(undefined, message.result);
      else finish(new LayerFailedError(shorten(message.message), message.cancelled));
    });
    child.on('error', (error) =>
      finish(new LayerFailedError(`could not start the engine process: ${error.message}`)),
    );
    child.on('exit', (code, signal) => {
      finish(
        new LayerFailedError(
          `the engine process ended (${signal ?? `exit ${code}`}) before reporting a result${stderr ? `: ${shorten(stderr)}` : ''}`,
          options.signal?.aborted ?? false,
        ),
      );
    });
    child.send({ type: 'run', task } satisfies ParentMessage);
    if (options.signal?.aborted) onAbort();
  });
}
