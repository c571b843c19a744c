import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, type Deployment, type Environment } from '../api';
import { badge, html, shortId, when } from '../html';

interface Row {
  env: Environment;
  last?: Deployment;
}

export function usePolling(load: () => Promise<void>, deps: unknown[], everyMs = 3000): void {
  useEffect(() => {
    let stopped = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const tick = async () => {
      try {
        await load();
      } catch {
        // Shown by the page's own error state; polling goes on.
      }
      if (!stopped) timer = setTimeout(tick, everyMs);
    };
    void tick();
    return () => {
      stopped = true;
      if (timer) clearTimeout(timer);
    };
  }, deps);
}

export function EnvironmentsPage() {
  const [rows, setRows] = useState<Row[] | null>(null);
  const [error, setError] = useState('');
  usePolling(async () => {
    try {
      const environments: Environment[] = [];
      let cursor: string | null = null;
      do {
        const page: { environments: Environment[]; nextCursor?: string | null } = await api(
          `/v1/environments?limit=200${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`,
        );
        environments.push(...page.environments);
        cursor = page.nextCursor ?? null;
      } while (cursor);
      const lasts = await Promise.all(
        environments.slice(0, 100).map((env) =>
          api<{ deployments: Deployment[] }>(
            `/v1/environments/${encodeURIComponent(env.name)}/deployments?limit=1`,
          ).then(
            (r) => r.deployments[0],
            () => undefined,
          ),
        ),
      );
      setRows(environments.map((env, i) => ({ env, last: lasts[i] })));
      setError('');
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'the API cannot be reached');
    }
  }, []);

  return html`<main>
    <div class="title-row">
      <h1>Environments</h1>
      <a class="button primary" href="#/new">New environment</a>
    </div>
    ${error && html`<p class="error" role="alert">${error}</p>`}
    ${
      rows === null
        ? html`<p class="muted">Loading…</p>`
        : rows.length === 0
          ? html`<p class="muted">No environments yet. <a href="#/new">Create one.</a></p>`
          : html`<table class="grid" aria-label="Environments">
              <thead>
                <tr>
                  <th>Name</th>
                  <th>Stage</th>
                  <th>Status</th>
                  <th>Layers</th>
                  <th>TTL</th>
                  <th>Drift</th>
                  <th>Last deployment</th>
                </tr>
              </thead>
              <tbody>
                ${rows.map(
                  ({ env, last }) =>
                    html`<tr key=${env.name} data-environment=${env.name}>
                      <td>
                        <a href=${`#/environments/${encodeURIComponent(env.name)}`}>${env.name}</a>
                      </td>
                      <td><span class="stage stage-${env.stage}">${env.stage}</span></td>
                      <td>${badge(env.status)}</td>
                      <td class="layers">
                        ${Object.entries(env.layers).map(
                          ([layer, spec]) =>
                            html`<span class="chip" title=${spec.status}
                              >${layer} → ${spec.target}</span
                            >`,
                        )}
                      </td>
                      <td>
                        ${
                          env.ttl
                            ? html`${env.ttl}<br /><small class="muted"
                                  >until ${when(env.expiresAt)}</small
                                >`
                            : html`<span class="muted">none</span>`
                        }
                      </td>
                      <td>
                        ${
                          env.drift === undefined
                            ? html`<span class="muted">unchecked</span>`
                            : env.drift
                              ? html`<span class="warn">drifted</span>`
                              : 'in sync'
                        }
                      </td>
                      <td>
                        ${
                          last
                            ? html`<a href=${`#/deployments/${last.id}`}>${last.operation}</a>
                                ${badge(last.status)} <br /><small class="muted"
                                  >${shortId(last.id)} · ${when(last.createdAt)}</small
                                >`
                            : '—'
                        }
                      </td>
                    </tr>`,
                )}
              </tbody>
            </table>`
    }
  </main>`;
}
