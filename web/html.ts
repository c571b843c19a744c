import { h } from 'preact';
import htm from 'htm';

/** JSX-like templates without a compile step: html`<div class=${x}>…</div>`. */
export const html = htm.bind(h);

export function when(iso: string | undefined): string {
  if (!iso) return '—';
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? iso : date.toLocaleString();
}

export function shortId(id: string): string {
  return id.slice(0, 8);
}

export function badge(status: string | undefined) {
  return html`<span class="badge badge-${status ?? 'unknown'}" data-status=${status ?? ''}
    >${(status ?? '…').replace('_', ' ')}</span
  >`;
}

export function navigate(hash: string): void {
  window.location.hash = hash;
}
