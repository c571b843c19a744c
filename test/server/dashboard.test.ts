import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, it } from 'node:test';
import { parse } from 'dotenv';
import { chromium, type Browser, type Page } from 'playwright-core';
import { ADMIN_TOKEN, startHarness, uniqueName, type Harness } from '../helpers/harness';

const SHOTS = path.join(__dirname, '..', '..', 'test-output', 'dashboard');
const LONG = 150_000;

function chromiumPath(): string {
  const candidates = [
    process.env.STRATA_CHROMIUM,
    '/usr/bin/chromium',
    '/usr/bin/chromium-browser',
  ];
  const found = candidates.find((c): c is string => !!c && fs.existsSync(c));
  if (!found)
    throw new Error('Chromium not found: run scripts/strata.sh test, or set STRATA_CHROMIUM');
  return found;
}

describe('dashboard in a real browser', () => {
  let h: Harness;
  let browser: Browser;
  let page: Page;
  const created: string[] = [];
  const resumedFrom: number[] = [];

  const shot = async (name: string): Promise<void> => {
    await page.screenshot({ path: path.join(SHOTS, `${name}.png`), fullPage: true });
  };

  before(async () => {
    fs.mkdirSync(SHOTS, { recursive: true });
    h = await startHarness();
    browser = await chromium.launch({
      executablePath: chromiumPath(),
      args: ['--no-sandbox', '--disable-dev-shm-usage', '--disable-gpu'],
    });
    const context = await browser.newContext({
      acceptDownloads: true,
      viewport: { width: 1280, height: 860 },
    });
    page = await context.newPage();
    page.on('dialog', (dialog) => void dialog.accept());
    page.on('request', (request) => {
      const last = request.headers()['last-event-id'];
      if (request.url().endsWith('/events') && last && Number(last) > 0) {
        resumedFrom.push(Number(last));
      }
    });
  });
  after(async () => {
    await browser?.close();
    // Whatever the test left behind is destroyed through the API.
    for (const name of created) {
      const response = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
      if (response.status === 202) {
        const { id } = (await response.json()) as { id: string };
        const deadline = Date.now() + LONG;
        while (Date.now() < deadline) {
          const d = (await (await h.api(`/v1/deployments/${id}`)).json()) as { status: string };
          if (['succeeded', 'failed', 'cancelled'].includes(d.status)) break;
          await new Promise((r) => setTimeout(r, 500));
        }
      }
    }
    await h.close();
  });

  async function createFromPage(name: string, stage: string): Promise<string> {
    await page.click('a:has-text("New environment")');
    await page.waitForSelector('h1:has-text("New environment")');
    await page.fill('#name', name);
    await page.selectOption('#stage', stage);
    await page.check('input[name="layer-data"]');
    await page.selectOption('select[name="target-data"]', 'local');
    await page.click('button:has-text("Create and deploy")');
    await page.waitForURL(/#\/deployments\//);
    created.push(name);
    return page.url().split('#/deployments/')[1] ?? '';
  }

  it('signs in with a token kept in sessionStorage only', async () => {
    await page.goto(`${h.url}/`);
    await page.waitForSelector('form[aria-label="Sign in"]');
    await shot('01-sign-in');
    await page.fill('#token', 'not-a-valid-token-at-all');
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('.error:has-text("not valid")');
    await page.fill('#token', ADMIN_TOKEN);
    await page.click('button:has-text("Sign in")');
    await page.waitForSelector('h1:has-text("Environments")');
    const stored = await page.evaluate(() => sessionStorage.getItem('strata.token'));
    assert.equal(stored, ADMIN_TOKEN);
    const cookies = await page.context().cookies();
    assert.equal(cookies.length, 0);
    assert.ok(!page.url().includes(ADMIN_TOKEN));
  });

  it('shows the API 400 message next to the field, then creates a local environment and streams its log to the end', async () => {
    const name = uniqueName('dash');
    await page.click('a:has-text("New environment")');
    await page.fill('#name', name);
    await page.check('input[name="layer-data"]');
    await page.fill('#ttl', '8 hours');
    await page.click('button:has-text("Create and deploy")');
    const ttlError = await page.waitForSelector('#ttl ~ .field-error');
    assert.match((await ttlError.textContent()) ?? '', /ttl must be a duration/);
    await shot('02-create-form-error');
    await page.fill('#ttl', '2h');
    await page.click('button:has-text("Create and deploy")');
    await page.waitForURL(/#\/deployments\//);
    created.push(name);
    const id = page.url().split('#/deployments/')[1] ?? '';

    // Once resource steps show, drop every connection: the page must resume where it was.
    await page.waitForSelector('tr.step', { timeout: LONG });
    h.app.server.closeAllConnections();
    await page.waitForSelector('#stream-end', { timeout: LONG });
    assert.equal(await page.textContent('#stream-end'), 'Deployment succeeded.');
    assert.ok(resumedFrom.length > 0, 'the stream reconnected with Last-Event-ID');
    // Each resource appears once, finished, in pulumi's words.
    const urns = await page.$$eval('tr.step', (rows) =>
      rows.map((r) => r.getAttribute('data-urn')),
    );
    assert.equal(new Set(urns).size, urns.length);
    const statuses = await page.$$eval('tr.step td.status', (cells) =>
      cells.map((c) => c.textContent),
    );
    assert.ok(statuses.length > 0 && statuses.every((s) => s === 'created'), statuses.join(','));
    assert.match((await page.textContent('.summary')) ?? '', /Resources:.*create/);
    await shot('03-deployment-log');

    const deployment = (await (await h.api(`/v1/deployments/${id}`)).json()) as { status: string };
    assert.equal(deployment.status, 'succeeded');
  });

  it('shows the environment with masked secrets and downloads its .env', async () => {
    const name = created[0] ?? '';
    await page.click(`a:has-text("${name}")`);
    await page.waitForSelector('tr[data-layer="data"] .badge-ready');
    const outputs = (await page.textContent('tr[data-layer="data"] dl.outputs')) ?? '';
    assert.match(outputs, /••••/);
    const download = page.waitForEvent('download');
    await page.click('button:has-text("Download .env")');
    const file = await download;
    assert.equal(file.suggestedFilename(), `${name}.env`);
    const saved = path.join(SHOTS, `${name}.env`);
    await file.saveAs(saved);
    const env = parse(fs.readFileSync(saved));
    fs.rmSync(saved);
    for (const key of ['DB_HOST', 'DB_PORT', 'DB_NAME', 'DB_USER', 'DB_PASSWORD', 'DATABASE_URL']) {
      assert.ok(env[key], `${key} in the download`);
    }
    // The password shows nowhere on the page.
    assert.ok(!(await page.content()).includes(env.DB_PASSWORD ?? ''));
    // TTL change
    await page.fill('form[aria-label="Change TTL"] #ttl', '3h');
    await page.click('button:has-text("Save TTL")');
    await page.waitForSelector('.notice:has-text("TTL set to 3h")');
    await shot('04-environment');
  });

  it('holds a prod deployment for approval, shows its planned steps, and applies it when approved', async () => {
    await page.click('a.brand');
    const id = await createFromPage(uniqueName('dash-prod'), 'prod');
    await page.waitForSelector('section[aria-label="Approval"]', { timeout: LONG });
    const planned = await page.$$eval('.planned li code', (codes) =>
      codes.map((c) => c.textContent),
    );
    assert.ok(
      planned.some((p) => p?.includes('create')),
      planned.join(','),
    );
    await shot('05-approval');
    await page.click('button:has-text("Approve")');
    await page.waitForSelector('#stream-end', { timeout: LONG });
    assert.equal(await page.textContent('#stream-end'), 'Deployment succeeded.');
    const d = (await (await h.api(`/v1/deployments/${id}`)).json()) as {
      approval?: { approvedBy?: string };
    };
    assert.equal(d.approval?.approvedBy, 'admin');
  });

  it('lists environments with stage, status, layers, TTL and last deployment', async () => {
    await page.click('a.brand');
    for (const name of created) {
      await page.waitForSelector(`tr[data-environment="${name}"] .badge-ready`, { timeout: LONG });
    }
    const row = (await page.textContent(`tr[data-environment="${created[0]}"]`)) ?? '';
    assert.match(row, /dev/);
    assert.match(row, /data → local/);
    assert.match(row, /3h/);
    assert.match(row, /up/);
    await shot('00-environments');
  });

  it('destroys an environment from its page', async () => {
    const first = created[0];
    for (const name of [...created]) {
      await page.goto(`${h.url}/#/environments/${name}`);
      await page.waitForSelector('button:has-text("Destroy")');
      await page.click('button:has-text("Destroy")');
      await page.waitForURL(/#\/deployments\//);
      // A prod environment's destroy waits for approval, like its ups: approve it from the page.
      const env = (await (await h.api(`/v1/environments/${name}`)).json()) as {
        requireApproval: boolean;
      };
      if (env.requireApproval) {
        await page.waitForSelector('button:has-text("Approve")', { timeout: LONG });
        await page.click('button:has-text("Approve")');
      }
      await page.waitForSelector('#stream-end', { timeout: LONG });
      assert.equal(await page.textContent('#stream-end'), 'Deployment succeeded.');
      if (name === first) await shot('06-destroy');
      const gone = await h.api(`/v1/environments/${name}`);
      assert.equal(gone.status, 404);
      created.splice(created.indexOf(name), 1);
    }
  });
});
