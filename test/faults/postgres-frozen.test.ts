import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import {
  createEnvironment,
  startHarness,
  uniqueName,
  waitForDeployment,
  type Harness,
} from '../helpers/harness';
import { PrivatePostgres } from '../helpers/servers';

describe('a PostgreSQL that hangs', () => {
  let pg: PrivatePostgres;
  before(async () => {
    pg = await PrivatePostgres.start();
  });
  after(() => {
    pg.close();
  });

  /** Creates a `local` data layer while the server is frozen; returns its first deployment. */
  const createWhileFrozen = async (h: Harness, name: string) => {
    pg.freeze();
    try {
      return await createEnvironment(h, { name, layers: { data: { target: 'local' } } });
    } finally {
      pg.thaw();
    }
  };

  const up = async (h: Harness, name: string): Promise<Record<string, unknown>> => {
    const response = await h.api(`/v1/environments/${name}/deployments`, {
      method: 'POST',
      json: { operation: 'up' },
    });
    return waitForDeployment(h, ((await response.json()) as { id: string }).id);
  };

  it('fails the deployment with a message naming it, and succeeds once it is back', async () => {
    const h = await startHarness({ env: { LOCAL_POSTGRES_URL: pg.url } });
    try {
      const name = uniqueName('pg-frozen');
      const failed = await createWhileFrozen(h, name);
      assert.equal(failed.status, 'failed');
      assert.match(
        String(failed.error),
        new RegExp(
          `PostgreSQL at 127\\.0\\.0\\.1:${pg.port} \\(LOCAL_POSTGRES_URL\\) did not answer`,
        ),
      );
      assert.equal((await up(h, name)).status, 'succeeded');
      const destroy = await h.api(`/v1/environments/${name}`, { method: 'DELETE' });
      const destroyed = await waitForDeployment(h, ((await destroy.json()) as { id: string }).id);
      assert.equal(destroyed.status, 'succeeded');
    } finally {
      await h.close();
    }
  });

  it('stops an operation that outlives STRATA_LAYER_TIMEOUT and says so', async () => {
    const h = await startHarness({
      env: { LOCAL_POSTGRES_URL: pg.url, STRATA_LAYER_TIMEOUT: '3s' },
    });
    try {
      const failed = await createWhileFrozen(h, uniqueName('pg-timeout'));
      assert.equal(failed.status, 'failed');
      assert.match(String(failed.error), /timed out after 3s \(STRATA_LAYER_TIMEOUT\)/);
    } finally {
      await h.close();
    }
  });
});
