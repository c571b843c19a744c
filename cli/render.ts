/** Prints a deployment's events the way `pulumi up` does: plain lines, or a live TTY display. */
import { OP_DONE as DONE, OP_SYMBOL as SYMBOL } from '../core/event-stream';
import type { StreamEvent } from './client';

const SPINNER = ['⠋', '⠙', '⠹', '⠸', '⠼', '⠴', '⠦', '⠧', '⠇', '⠏'];

interface Metadata {
  op?: string;
  urn?: string;
  type?: string;
}

interface Engine {
  layer?: string;
  resourcePreEvent?: { metadata?: Metadata };
  resOutputsEvent?: { metadata?: Metadata };
  resOpFailedEvent?: { metadata?: Metadata };
  diagnosticEvent?: { message?: string; severity?: string; ephemeral?: boolean; urn?: string };
  summaryEvent?: { resourceChanges?: Record<string, number>; durationSeconds?: number };
}

const nameOf = (urn: string) => urn.split('::').pop() ?? urn;

export function changeSummary(changes: Record<string, number> | undefined): string {
  const parts = Object.entries(changes ?? {})
    .filter(([op, n]) => n > 0 && op !== 'same')
    .map(([op, n]) => `${SYMBOL[op] ?? ''}${n} ${op}`);
  return parts.length > 0 ? parts.join(', ') : 'no changes';
}

export interface Renderer {
  event(event: StreamEvent): void;
  reconnecting(): void;
  /** Final status, once the stream has ended. */
  finish(): string | undefined;
}

export function renderer(
  id: string,
  out: NodeJS.WritableStream & { columns?: number },
  options: { progress: boolean; preview?: boolean },
): Renderer {
  let status: string | undefined;
  let preview = options.preview ?? false;
  const started = Date.now();
  const running = new Map<string, string>();
  const layers = new Map<string, string>();
  let done = 0;
  let total = 0;
  let frame = 0;
  let statusLine = '';

  const clear = () => {
    if (options.progress && statusLine) out.write('\r\x1b[2K');
  };
  const draw = () => {
    if (!options.progress) return;
    const layerText = [...layers].map(([l, s]) => `${l} ${s}`).join(', ');
    const seconds = Math.round((Date.now() - started) / 1000);
    statusLine = `${SPINNER[frame % SPINNER.length]} ${status ?? 'waiting'} · ${layerText || 'starting'} · ${done}/${total} steps · ${seconds}s`;
    const width = out.columns ?? 100;
    out.write(`\r\x1b[2K${statusLine.slice(0, Math.max(20, width - 1))}`);
  };
  const line = (text: string) => {
    clear();
    out.write(`${text}\n`);
    draw();
  };
  const timer = options.progress
    ? setInterval(() => {
        frame += 1;
        draw();
      }, 120)
    : undefined;

  return {
    event(event) {
      const data = (event.data ?? {}) as Record<string, unknown>;
      if (event.event === 'deployment') {
        status = typeof data.status === 'string' ? data.status : status;
        if (status === 'pending_approval') {
          preview = false;
          line(`Waiting for approval: strata approve ${id}  (or strata reject ${id})`);
        } else if (status === 'running') {
          const what = Array.isArray(data.layers) ? ` ${data.layers.join(', ')}` : '';
          line(
            `Deployment ${id} running${data.operation ? ` ${String(data.operation)}` : ''}${what}`,
          );
        } else {
          line(`Deployment ${status}${typeof data.error === 'string' ? `: ${data.error}` : ''}`);
        }
      } else if (event.event === 'layer') {
        const layer = String(data.layer ?? '?');
        const layerStatus = String(data.status ?? '');
        layers.set(layer, layerStatus);
        if (layerStatus === 'running') line(`${preview ? 'Previewing' : 'Updating'} (${layer}):`);
        else if (layerStatus === 'succeeded')
          line(`[${layer}] succeeded: ${changeSummary(data.changes as Record<string, number>)}`);
        else
          line(
            `[${layer}] ${layerStatus}${typeof data.error === 'string' ? `: ${data.error}` : ''}`,
          );
      } else if (event.event === 'engine') {
        const engine = data as Engine;
        const layer = engine.layer ?? '?';
        const pre = engine.resourcePreEvent?.metadata;
        if (pre?.urn && pre.op && pre.op !== 'same' && !pre.type?.startsWith('pulumi:providers:')) {
          total += 1;
          running.set(pre.urn, pre.op);
          if (preview) {
            done += 1;
            line(
              `[${layer}] ${SYMBOL[pre.op] ?? pre.op} ${pre.type} ${nameOf(pre.urn)} (${pre.op})`,
            );
          }
        }
        const post = engine.resOutputsEvent?.metadata;
        if (post?.urn && running.has(post.urn) && !preview) {
          done += 1;
          const op = running.get(post.urn) ?? post.op ?? '';
          running.delete(post.urn);
          line(`[${layer}] ${SYMBOL[op] ?? op} ${post.type} ${nameOf(post.urn)} ${DONE[op] ?? op}`);
        }
        const failed = engine.resOpFailedEvent?.metadata;
        if (failed?.urn)
          line(`[${layer}] ** ${failed.type} ${nameOf(failed.urn)} ${failed.op ?? ''} failed`);
        const diag = engine.diagnosticEvent;
        if (diag?.message?.trim() && !diag.ephemeral && diag.severity !== 'debug') {
          line(`[${layer}] ${diag.severity ?? 'info'}: ${diag.message.trim()}`);
        }
        const summary = engine.summaryEvent;
        if (summary) {
          line(
            `[${layer}] Resources: ${changeSummary(summary.resourceChanges)}; duration ${summary.durationSeconds ?? 0}s`,
          );
        }
      } else if (event.event === 'end') {
        status = typeof data.status === 'string' ? data.status : status;
      }
      draw();
    },
    reconnecting() {
      line('(connection lost: resuming the event stream)');
    },
    finish() {
      if (timer) clearInterval(timer);
      clear();
      statusLine = '';
      return status;
    },
  };
}
