import { useState } from 'preact/hooks';
import { api, ApiError, downloadEnv, type Deployment, type Environment, type Me } from '../api';
import { badge, html, navigate, shortId, when } from '../html';
import { usePolling } from './environments';

function can(me: Me, scope: string): boolean {
  return me.scopes.includes(scope) || me.scopes.includes('admin');
}

/** Outputs as the API gives them, secrets already "[secret]"; shown masked either way. */
function outputValue(value: unknown) {
  if (value === '[secret]') return html`<span class="secret" title="secret">••••••••</span>`;
  return html`<code>${typeof value === 'string' ? value : JSON.stringify(value)}</code>`;
}

export function EnvironmentPage({ name, me }: { name: string; me: Me }) {
  const [env, setEnv] = useState<Environment | null>(null);
  const [history, setHistory] = useState<Deployment[]>([]);
  const [error, setError] = useState('');
  const [notice, setNotice] = useState('');
  const [ttl, setTtl] = useState<string | null>(null);
  const path = `/v1/environments/${encodeURIComponent(name)}`;

  usePolling(async () => {
    try {
      const [e, d] = await Promise.all([
        api<Environment>(path),
        api<{ deployments: Deployment[] }>(`${path}/deployments`),
      ]);
      setEnv(e);
      setHistory(d.deployments);
      setError('');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'the API cannot be reached');
    }
  }, [name]);

  const act = async (what: () => Promise<void>) => {
    setNotice('');
    try {
      await what();
    } catch (e) {
      setNotice(e instanceof Error ? e.message : String(e));
    }
  };
  const redeploy = () =>
    act(async () => {
      const d = await api<Deployment>(`${path}/deployments`, {
        method: 'POST',
        json: { operation: 'up' },
      });
      navigate(`#/deployments/${d.id}`);
    });
  const destroy = () =>
    act(async () => {
      if (!window.confirm(`Destroy every layer of ${name}, then forget it?`)) return;
      const d = await api<Deployment>(path, { method: 'DELETE' });
      navigate(`#/deployments/${d.id}`);
    });
  const saveTtl = (event: Event) => {
    event.preventDefault();
    void act(async () => {
      const value = (ttl ?? '').trim();
      const updated = await api<Environment>(path, {
        method: 'PATCH',
        json: { ttl: value === '' ? null : value },
      });
      setEnv(updated);
      setTtl(null);
      setNotice(value === '' ? 'TTL removed' : `TTL set to ${value}`);
    });
  };

  if (!env)
    return html`<main>
      ${error ? html`<p class="error" role="alert">${error}</p>` : html`<p class="muted">Loading…</p>`}
    </main>`;

  return html`<main>
    <p class="crumbs"><a href="#/">Environments</a> / ${env.name}</p>
    <div class="title-row">
      <h1>${env.name} ${badge(env.status)}</h1>
      <div class="actions">
        ${
          can(me, 'secrets:read') &&
          html`<button onClick=${() => act(() => downloadEnv(env.name))}>Download .env</button>`
        }
        ${
          can(me, 'deploy') &&
          html`<button class="primary" onClick=${redeploy}>Redeploy</button>
            <button class="danger" onClick=${destroy}>Destroy</button>`
        }
      </div>
    </div>
    ${notice && html`<p class="notice" role="status">${notice}</p>`}
    ${error && html`<p class="error" role="alert">${error}</p>`}
    <section class="facts card">
      <div>
        <span class="muted">Stage</span> <span class="stage stage-${env.stage}">${env.stage}</span>
      </div>
      <div><span class="muted">Blueprint</span> ${env.blueprint ?? '—'}</div>
      <div>
        <span class="muted">Approval</span> ${env.requireApproval ? 'required' : 'not required'}
      </div>
      <div>
        <span class="muted">Drift</span
        >${' '}${env.drift === undefined ? 'unchecked' : env.drift ? html`<span class="warn">drifted</span>` : 'in sync'}
      </div>
      <div>
        <span class="muted">Expires</span>
        ${env.ttl ? `${when(env.expiresAt)} (TTL ${env.ttl})` : 'never'}
      </div>
      ${
        can(me, 'deploy') &&
        html`<form class="inline" onSubmit=${saveTtl} aria-label="Change TTL">
          <label for="ttl">TTL</label>
          <input
            id="ttl"
            name="ttl"
            placeholder="8h, empty for none"
            value=${ttl ?? env.ttl ?? ''}
            onInput=${(e: Event) => setTtl((e.target as HTMLInputElement).value)}
          />
          <button type="submit">Save TTL</button>
        </form>`
      }
    </section>
    <h2>Layers</h2>
    <table class="grid" aria-label="Layers">
      <thead>
        <tr>
          <th>Layer</th>
          <th>Target</th>
          <th>Status</th>
          <th>Outputs</th>
          <th>Updated</th>
        </tr>
      </thead>
      <tbody>
        ${Object.entries(env.layers).map(
          ([layer, state]) =>
            html`<tr data-layer=${layer}>
              <td>${layer}</td>
              <td>${state.target}</td>
              <td>${badge(state.status)}</td>
              <td>
                <dl class="outputs">
                  ${Object.entries(state.outputs).map(
                    ([key, value]) =>
                      html`<dt>${key}</dt>
                        <dd>${outputValue(value)}</dd>`,
                  )}
                </dl>
              </td>
              <td>${when(state.updatedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    <h2>Deployments</h2>
    <table class="grid" aria-label="Deployments">
      <thead>
        <tr>
          <th>Deployment</th>
          <th>Operation</th>
          <th>Status</th>
          <th>Trigger</th>
          <th>Created</th>
          <th>Finished</th>
        </tr>
      </thead>
      <tbody>
        ${history.map(
          (d) =>
            html`<tr data-deployment=${d.id}>
              <td><a href=${`#/deployments/${d.id}`}>${shortId(d.id)}</a></td>
              <td>${d.operation}</td>
              <td>${badge(d.status)}</td>
              <td>${d.trigger.kind}${d.trigger.actor ? ` · ${d.trigger.actor}` : ''}</td>
              <td>${when(d.createdAt)}</td>
              <td>${when(d.finishedAt)}</td>
            </tr>`,
        )}
      </tbody>
    </table>
  </main>`;
}
