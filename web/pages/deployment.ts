import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, FINAL, getToken, type Deployment, type Me } from '../api';
import {
  apply,
  emptyLog,
  OP_SYMBOL,
  progress,
  stepStatus,
  urnName,
  type DeploymentLog,
  type LayerLog,
} from '../engine-log';
import { badge, html, when } from '../html';
import { follow } from '../sse';
import { usePolling } from './environments';

function can(me: Me, scope: string): boolean {
  return me.scopes.includes(scope) || me.scopes.includes('admin');
}

function summaryLine(changes: Record<string, number>): string {
  return Object.entries(changes)
    .filter(([, n]) => n > 0)
    .map(([op, n]) => `${OP_SYMBOL[op]?.trim() || '='} ${n} ${op}`)
    .join(', ');
}

const VERBS: Record<string, string> = {
  destroy: 'Destroying',
  refresh: 'Refreshing',
  drift: 'Checking drift',
};

function LayerBlock(props: { layer: LayerLog; preview: boolean; env: string; operation: string }) {
  const { layer, preview, env, operation } = props;
  const verb = preview ? 'Previewing' : (VERBS[operation] ?? 'Updating');
  const steps = [...layer.steps.values()];
  return html`<section class="layer-log" data-layer=${layer.layer}>
    <div class="layer-head">
      <strong>${verb} (${env}.${layer.layer})</strong>
      ${badge(layer.status)}
    </div>
    <table class="steps">
      <thead>
        <tr>
          <th></th>
          <th>Type</th>
          <th>Name</th>
          <th>Status</th>
        </tr>
      </thead>
      <tbody>
        ${steps.map(
          (s) =>
            html`<tr class=${`step step-${s.state} op-${s.op}`} data-urn=${s.urn}>
              <td class="op">${OP_SYMBOL[s.op] ?? s.op}</td>
              <td class="type">${s.parent ? '└─ ' : ''}${s.type}</td>
              <td>${s.name}</td>
              <td class="status">${stepStatus(s, preview)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${
      layer.diagnostics.length > 0 &&
      html`<div class="diagnostics">
        <strong>Diagnostics:</strong>
        ${layer.diagnostics.map(
          (d) =>
            html`<pre class=${`diag diag-${d.severity}`}>
${d.urn ? `${urnName(d.urn)}: ` : ''}${d.severity}: ${d.message}</pre>`,
        )}
      </div>`
    }
    ${layer.error && html`<pre class="diag diag-error">${layer.error}</pre>`}
    ${
      layer.summary &&
      html`<div class="summary">
        <strong>Resources:</strong> ${summaryLine(layer.summary.changes) || 'no changes'}
        <span class="muted"> · Duration: ${layer.summary.seconds}s</span>
      </div>`
    }
  </section>`;
}

export function DeploymentPage({ id, me }: { id: string; me: Me }) {
  const [deployment, setDeployment] = useState<Deployment | null>(null);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [log, setLog] = useState<DeploymentLog>(emptyLog());
  const [stream, setStream] = useState('connecting');

  usePolling(async () => {
    try {
      setDeployment(await api<Deployment>(`/v1/deployments/${id}`));
      setError('');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'the API cannot be reached');
    }
  }, [id]);

  useEffect(() => {
    const abort = new AbortController();
    const current = emptyLog();
    setLog(emptyLog());
    let scheduled = false;
    void follow(`/v1/deployments/${id}/events`, {
      token: getToken() ?? '',
      signal: abort.signal,
      onEvent: (event) => {
        apply(current, event);
        // Batch bursts of engine events into one render per frame.
        if (!scheduled) {
          scheduled = true;
          requestAnimationFrame(() => {
            scheduled = false;
            setLog({ ...current, layers: new Map(current.layers) });
          });
        }
      },
      onState: (state, detail) => {
        setStream(detail ? `${state}: ${detail}` : state);
        if (state === 'ended') {
          setLog({ ...current, layers: new Map(current.layers) });
          void api<Deployment>(`/v1/deployments/${id}`).then(setDeployment, () => undefined);
        }
      },
    });
    return () => abort.abort();
  }, [id]);

  const act = (path: string, message: string) => async () => {
    setNotice('');
    try {
      setDeployment(await api<Deployment>(`/v1/deployments/${id}/${path}`, { method: 'POST' }));
      setNotice(message);
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };

  if (!deployment)
    return html`<main>
      ${error ? html`<p class="error" role="alert">${error}</p>` : html`<p class="muted">Loading…</p>`}
    </main>`;

  const status = log.ended ? (log.status ?? deployment.status) : deployment.status;
  const preview =
    deployment.operation === 'preview' ||
    status === 'pending_approval' ||
    (deployment.operation === 'up' && !!deployment.approval && !deployment.approval.approvedBy);
  const { done, total } = progress(log);
  const running = !FINAL.includes(status);
  const layers = deployment.layers
    .map((l) => log.layers.get(l))
    .filter((l): l is LayerLog => l !== undefined);

  return html`<main>
    <p class="crumbs">
      <a href="#/">Environments</a>${' / '}<a
        href=${`#/environments/${encodeURIComponent(deployment.environment)}`}
        >${deployment.environment}</a
      >${` / deployment ${id.slice(0, 8)}`}
    </p>
    <div class="title-row">
      <h1>
        ${deployment.operation} <span class="muted">${deployment.layers.join(', ')}</span>
        <span id="deployment-status">${badge(status)}</span>
      </h1>
      <div class="actions">
        ${
          can(me, 'deploy') &&
          (status === 'queued' || status === 'running') &&
          html`<button class="danger" onClick=${act('cancel', 'cancel requested')}>Cancel</button>`
        }
      </div>
    </div>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    <section class="facts card">
      <div>
        <span class="muted">Trigger</span>
        ${deployment.trigger.kind}${deployment.trigger.actor ? ` · ${deployment.trigger.actor}` : ''}
      </div>
      <div><span class="muted">Created</span> ${when(deployment.createdAt)}</div>
      <div><span class="muted">Started</span> ${when(deployment.startedAt)}</div>
      <div><span class="muted">Finished</span> ${when(deployment.finishedAt)}</div>
      ${deployment.queuePosition !== undefined && html`<div><span class="muted">Queue position</span> ${deployment.queuePosition}</div>`}
      ${deployment.approval?.approvedBy && html`<div><span class="muted">Approved by</span> ${deployment.approval.approvedBy}</div>`}
      ${deployment.approval?.rejectedBy && html`<div><span class="muted">Rejected by</span> ${deployment.approval.rejectedBy}</div>`}
    </section>
    ${deployment.error && html`<pre class="diag diag-error">${deployment.error}</pre>`}
    ${
      deployment.status === 'pending_approval' &&
      html`<section class="card approval" aria-label="Approval">
        <h2>Waiting for approval</h2>
        <p>The preview announced these steps; approving applies exactly them.</p>
        ${Object.entries(deployment.approval?.plannedSteps ?? {}).map(
          ([layer, steps]) =>
            html`<div class="planned" data-layer=${layer}>
              <strong>${layer}</strong>
              <ul>
                ${steps.length === 0 ? html`<li class="muted">no changes</li>` : ''}
                ${steps.map((s) => html`<li><code class=${`op-${s.op}`}>${OP_SYMBOL[s.op] ?? s.op} ${s.op}</code> ${urnName(s.urn)} <small class="muted">${s.urn.split('::')[2] ?? ''}</small></li>`)}
              </ul>
            </div>`,
        )}
        ${
          can(me, 'deploy') &&
          html`<div class="actions">
            <button
              class="primary"
              onClick=${act('approve', 'approved: the plan is being applied')}
            >
              Approve
            </button>
            <button class="danger" onClick=${act('reject', 'rejected')}>Reject</button>
          </div>`
        }
      </section>`
    }
    <section class="log card" aria-label="Engine log">
      <div class="log-head">
        <strong>Engine log</strong>
        <span class="muted" id="stream-state">stream ${stream}</span>
        ${
          total > 0 &&
          html`<span class="progress-text">${done}/${total} steps</span>
            <progress max=${total} value=${done}></progress>`
        }
      </div>
      ${layers.length === 0 && html`<p class="muted">${running ? 'waiting for the engine…' : 'no engine events'}</p>`}
      ${layers.map((layer) => html`<${LayerBlock} layer=${layer} preview=${preview} env=${deployment.environment} operation=${deployment.operation} />`)}
      ${log.ended && html`<p class="end" id="stream-end">Deployment ${log.status}.</p>`}
    </section>
  </main>`;
}
