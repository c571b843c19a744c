import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { backendKind, backendUrlProblem, redactUrl, scrubUrl } from '../../core/backend-url';
import { loadSettings, SettingsError } from '../../core/settings';

describe('PULUMI_BACKEND_URL', () => {
  it('accepts the backends several machines can share, and the file backend', () => {
    for (const url of [
      'file:///var/lib/strata/state',
      'postgres://strata:pw@db.internal:5432/pulumi?sslmode=disable',
      's3://state?endpoint=http://127.0.0.1:9000&s3ForcePathStyle=true&region=us-east-1',
      'gs://strata-state',
      'azblob://strata-state',
      'https://api.pulumi.com',
    ]) {
      assert.equal(backendUrlProblem(url), undefined, url);
    }
    assert.equal(backendKind('postgres://h/db'), 'postgres');
    assert.equal(backendKind('s3://b'), 's3');
  });

  it('refuses at start what the CLI could not use, saying what to write instead', () => {
    const refused = (url: string): string => {
      try {
        loadSettings({
          ...process.env,
          STRATA_DATA_DIR: '/tmp/strata-settings-test',
          PULUMI_BACKEND_URL: url,
        });
      } catch (error) {
        assert.ok(error instanceof SettingsError);
        return error.message;
      }
      throw new Error(`${url} was accepted`);
    };
    assert.match(refused('postgresql://u@h/db'), /postgres:\/\/, not postgresql:\/\//);
    assert.match(refused('postgres://u@h:5432'), /needs a database/);
    assert.match(refused('ftp://h/x'), /not a Pulumi state backend/);
    assert.match(refused('not a url'), /not a URL/);
  });

  it('never shows a password', () => {
    const url = 'postgres://strata:p%40ss-w0rd@db:5432/pulumi?sslmode=disable';
    assert.equal(redactUrl(url), 'postgres://strata:***@db:5432/pulumi?sslmode=disable');
    const text = `unable to open state database "${url}": p@ss-w0rd p%40ss-w0rd`;
    const scrubbed = scrubUrl(text, url);
    assert.ok(!scrubbed.includes('w0rd'), scrubbed);
    assert.match(scrubbed, /strata:\*\*\*@db/);
  });
});
