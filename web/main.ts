import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { api, ApiError, getToken, setToken, type Me } from './api';
import { html } from './html';
import { CreatePage } from './pages/create';
import { DeploymentPage } from './pages/deployment';
import { EnvironmentPage } from './pages/environment';
import { EnvironmentsPage } from './pages/environments';

function useHash(): string {
  const [hash, setHash] = useState(window.location.hash);
  useEffect(() => {
    const onChange = () => setHash(window.location.hash);
    window.addEventListener('hashchange', onChange);
    return () => window.removeEventListener('hashchange', onChange);
  }, []);
  return hash;
}

function SignIn({ onSignedIn }: { onSignedIn: (me: Me) => void }) {
  const [token, setValue] = useState('');
  const [error, setError] = useState('');
  const [busy, setBusy] = useState(false);
  const submit = async (event: Event) => {
    event.preventDefault();
    setBusy(true);
    setError('');
    try {
      const me = await api<Me>('/v1/me', { token: token.trim() });
      setToken(token.trim());
      onSignedIn(me);
    } catch (e) {
      setError(e instanceof ApiError ? e.message : 'the API cannot be reached');
    } finally {
      setBusy(false);
    }
  };
  return html`<main class="signin">
    <form class="card" onSubmit=${submit} aria-label="Sign in">
      <h1><span class="logo">▤</span> Strata</h1>
      <p class="muted">Sign in with an API token. It is kept in this tab only.</p>
      <label for="token">API token</label>
      <input
        id="token"
        name="token"
        type="password"
        autocomplete="off"
        required
        value=${token}
        onInput=${(e: Event) => setValue((e.target as HTMLInputElement).value)}
      />
      ${error && html`<p class="error" role="alert">${error}</p>`}
      <button type="submit" class="primary" disabled=${busy}>Sign in</button>
    </form>
  </main>`;
}

function Route({ hash, me }: { hash: string; me: Me }) {
  const path = hash.replace(/^#/, '') || '/';
  const env = /^\/environments\/([^/]+)$/.exec(path);
  if (env?.[1]) return html`<${EnvironmentPage} name=${decodeURIComponent(env[1])} me=${me} />`;
  const deployment = /^\/deployments\/([^/]+)$/.exec(path);
  if (deployment?.[1]) return html`<${DeploymentPage} id=${deployment[1]} me=${me} />`;
  if (path === '/new') return html`<${CreatePage} />`;
  return html`<${EnvironmentsPage} />`;
}

function App() {
  const hash = useHash();
  const [me, setMe] = useState<Me | null>(null);
  const [checking, setChecking] = useState(getToken() !== null);
  useEffect(() => {
    const signOut = () => {
      setToken(null);
      setMe(null);
    };
    window.addEventListener('strata:signout', signOut);
    if (getToken()) {
      api<Me>('/v1/me')
        .then(setMe, () => setToken(null))
        .finally(() => setChecking(false));
    }
    return () => window.removeEventListener('strata:signout', signOut);
  }, []);
  if (checking) return html`<main class="signin"><p class="muted">Signing in…</p></main>`;
  if (!me) return html`<${SignIn} onSignedIn=${setMe} />`;
  return html`<div class="shell">
    <header class="top">
      <a class="brand" href="#/"><span class="logo">▤</span> Strata</a>
      <nav>
        <a href="#/">Environments</a>
        <a href="#/new">New environment</a>
        <a href="/docs" target="_blank" rel="noopener">API</a>
      </nav>
      <span class="who" title=${me.scopes.join(', ')}>${me.name} · ${me.scopes.join(', ')}</span>
      <button
        class="link"
        onClick=${() => {
          setToken(null);
          setMe(null);
        }}
      >
        Sign out
      </button>
    </header>
    <${Route} hash=${hash} me=${me} />
  </div>`;
}

const root = document.getElementById('app');
if (root) render(html`<${App} />`, root);
