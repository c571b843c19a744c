/**
 * Turns a deployment's event stream into what `pulumi up` prints: per layer, each resource
 * step with its status, the diagnostics, and the summary; plus the layers' and deployment's
 * status changes.
 */
import { OP_DONE as ENGINE_OP_DONE, OP_SYMBOL as ENGINE_OP_SYMBOL } from '../core/event-stream';
import type { StreamEvent } from './sse';

export type StepState = 'running' | 'done' | 'failed';

export interface Step {
  urn: string;
  op: string;
  type: string;
  name: string;
  parent?: string;
  state: StepState;
}

export interface Diagnostic {
  severity: string;
  message: string;
  urn?: string;
}

export interface LayerLog {
  layer: string;
  status?: string;
  error?: string;
  steps: Map<string, Step>;
  diagnostics: Diagnostic[];
  summary?: { changes: Record<string, number>; seconds: number };
}

export interface DeploymentLog {
  lastId: number;
  status?: string;
  error?: string;
  ended: boolean;
  layers: Map<string, LayerLog>;
}

interface Metadata {
  op?: string;
  urn?: string;
  type?: string;
  old?: { parent?: string };
  new?: { parent?: string };
}

interface EngineEvent {
  layer?: string;
  resourcePreEvent?: { metadata?: Metadata };
  resOutputsEvent?: { metadata?: Metadata };
  resOpFailedEvent?: { metadata?: Metadata };
  diagnosticEvent?: { message?: string; severity?: string; urn?: string; ephemeral?: boolean };
  summaryEvent?: { resourceChanges?: Record<string, number>; durationSeconds?: number };
}

export function emptyLog(): DeploymentLog {
  return { lastId: 0, ended: false, layers: new Map() };
}

function layerOf(log: DeploymentLog, layer: string): LayerLog {
  let entry = log.layers.get(layer);
  if (!entry) {
    entry = { layer, steps: new Map(), diagnostics: [] };
    log.layers.set(layer, entry);
  }
  return entry;
}

/** `urn:pulumi:stack::project::type::name` → its name. */
export function urnName(urn: string): string {
  return urn.split('::').pop() ?? urn;
}

function step(layer: LayerLog, metadata: Metadata | undefined, state: StepState): void {
  if (!metadata?.urn) return;
  const previous = layer.steps.get(metadata.urn);
  // Unchanged resources and default providers are noise in a live view; pulumi hides them too.
  if (!previous && metadata.op === 'same') return;
  if (metadata.type?.startsWith('pulumi:providers:')) return;
  layer.steps.set(metadata.urn, {
    urn: metadata.urn,
    op: metadata.op ?? previous?.op ?? 'same',
    type: metadata.type ?? previous?.type ?? '',
    name: urnName(metadata.urn),
    parent: metadata.new?.parent ?? metadata.old?.parent ?? previous?.parent,
    state: previous?.state === 'failed' ? 'failed' : state,
  });
}

/** Applies one event; returns the same (mutated) log for convenience. */
export function apply(log: DeploymentLog, event: StreamEvent): DeploymentLog {
  log.lastId = Math.max(log.lastId, event.id);
  const data = (event.data ?? {}) as Record<string, unknown>;
  if (event.event === 'engine') {
    const engine = data as EngineEvent;
    const layer = layerOf(log, engine.layer ?? '?');
    if (engine.resourcePreEvent) step(layer, engine.resourcePreEvent.metadata, 'running');
    if (engine.resOutputsEvent) step(layer, engine.resOutputsEvent.metadata, 'done');
    if (engine.resOpFailedEvent) step(layer, engine.resOpFailedEvent.metadata, 'failed');
    const diagnostic = engine.diagnosticEvent;
    if (diagnostic?.message && !diagnostic.ephemeral && diagnostic.message.trim() !== '') {
      layer.diagnostics.push({
        severity: diagnostic.severity ?? 'info',
        message: diagnostic.message.trimEnd(),
        ...(diagnostic.urn ? { urn: diagnostic.urn } : {}),
      });
    }
    if (engine.summaryEvent) {
      layer.summary = {
        changes: engine.summaryEvent.resourceChanges ?? {},
        seconds: engine.summaryEvent.durationSeconds ?? 0,
      };
    }
  } else if (event.event === 'layer') {
    const layer = layerOf(log, String(data.layer ?? '?'));
    layer.status = String(data.status ?? layer.status ?? '');
    if (typeof data.error === 'string') layer.error = data.error;
  } else if (event.event === 'deployment') {
    if (typeof data.status === 'string') log.status = data.status;
    if (typeof data.error === 'string') log.error = data.error;
  } else if (event.event === 'end') {
    log.ended = true;
    if (typeof data.status === 'string') log.status = data.status;
  }
  return log;
}

export const OP_SYMBOL: Record<string, string> = { ...ENGINE_OP_SYMBOL, same: ' ' };

const OP_DONE: Record<string, string> = { ...ENGINE_OP_DONE, same: '' };

const OP_RUNNING: Record<string, string> = {
  create: 'creating…',
  update: 'updating…',
  delete: 'deleting…',
  replace: 'replacing…',
  'create-replacement': 'creating replacement…',
  'delete-replaced': 'deleting original…',
  read: 'reading…',
  refresh: 'refreshing…',
  same: '',
};

export function stepStatus(s: Step, preview: boolean): string {
  if (s.state === 'failed') return `**${s.op} failed**`;
  if (preview) return `${s.op === 'same' ? '' : 'will '}${s.op}`;
  return s.state === 'done' ? (OP_DONE[s.op] ?? s.op) : (OP_RUNNING[s.op] ?? `${s.op}…`);
}

/** Done and announced steps over every layer: the progress bar. */
export function progress(log: DeploymentLog): { done: number; total: number } {
  let done = 0;
  let total = 0;
  for (const layer of log.layers.values()) {
    for (const s of layer.steps.values()) {
      total += 1;
      if (s.state !== 'running') done += 1;
    }
  }
  return { done, total };
}
