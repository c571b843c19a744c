import assert from 'node:assert/strict';
import { after, before, describe, it } from 'node:test';
import { startHarness, type Harness } from '../helpers/harness';
import { SEED_001_ENV } from '../helpers/seed-env';

interface PlanBody {
  blueprint: string;
  stage: string;
  resources: { type: string; name: string; layer: string; inputs: Record<string, unknown> }[];
  env: string[];
}

/** Every input whose name says it holds a credential, with its path. */
function secretLookingInputs(plan: PlanBody): [string, unknown][] {
  const found: [string, unknown][] = [];
  const visit = (value: unknown, path: string): void => {
    if (!value || typeof value !== 'object') return;
    for (const [key, child] of Object.entries(value)) {
      const here = `${path}.${key}`;
      if (/password|secretkey|authtoken|privatekey/i.test(key) && typeof child === 'string')
        found.push([here, child]);
      else visit(child, here);
    }
  };
  for (const r of plan.resources) visit(r.inputs, `${r.type}:${r.name}`);
  return found;
}

const BLUEPRINTS = ['371gpt-ovh', 'querygpt-aws', 'multicloud-hetzner', 'auterity-aws'];

describe('blueprints over HTTP', () => {
  let h: Harness;
  before(async () => {
    h = await startHarness({ worker: false });
  });
  after(async () => {
    await h.close();
  });

  it('lists the four seed systems with their layers, bundle keys and notes', async () => {
    const body = (await (await h.api('/v1/blueprints')).json()) as {
      blueprints: {
        name: string;
        version: string;
        seeds: string[];
        layers: Record<string, { target: string }>;
        env: string[];
        notes: string[];
      }[];
    };
    assert.deepEqual(body.blueprints.map((b) => b.name).sort(), [...BLUEPRINTS].sort());
    for (const b of body.blueprints) {
      assert.match(b.version, /^\d+\.\d+\.\d+$/);
      assert.ok(b.seeds.length > 0 && b.notes.length > 0 && b.env.length > 0, b.name);
      assert.ok(Object.keys(b.layers).length >= 3, b.name);
    }
    const ovh = (await (await h.api('/v1/blueprints/371gpt-ovh')).json()) as { env: string[] };
    assert.deepEqual(ovh.env, SEED_001_ENV);
  });

  it('plans every blueprint for dev and prod offline, every layer present, secrets masked', async () => {
    for (const name of BLUEPRINTS) {
      const blueprint = (await (await h.api(`/v1/blueprints/${name}`)).json()) as {
        layers: Record<string, unknown>;
      };
      const counts: number[] = [];
      for (const stage of ['dev', 'prod']) {
        const response = await h.api(`/v1/blueprints/${name}/plan?stage=${stage}`);
        const plan = (await response.json()) as PlanBody;
        assert.equal(response.status, 200, JSON.stringify(plan));
        assert.equal(plan.stage, stage);
        assert.deepEqual(
          [...new Set(plan.resources.map((r) => r.layer))].sort(),
          Object.keys(blueprint.layers).sort(),
          `${name} ${stage}: a layer planned no resources`,
        );
        assert.ok(plan.env.length > 0);
        for (const [path, value] of secretLookingInputs(plan)) {
          assert.equal(value, '[secret]', `${name} ${stage}: ${path} is shown in the plan`);
        }
        if (name !== 'multicloud-hetzner') {
          // These create database passwords, which must reach the plan masked.
          assert.ok(
            JSON.stringify(plan.resources).includes('"[secret]"'),
            `${name} ${stage}: no masked secret`,
          );
        }
        counts.push(plan.resources.length);
      }
      console.log(`# ${name}: dev ${counts[0]} resources, prod ${counts[1]}`);
      assert.ok(counts[1]! >= counts[0]!, `${name}: prod plans fewer resources than dev`);
    }
  });

  it('404 for an unknown blueprint, 400 for an unknown stage', async () => {
    const missing = await h.api('/v1/blueprints/nope/plan?stage=dev');
    assert.equal(missing.status, 404);
    assert.match(
      ((await missing.json()) as { message: string }).message,
      /blueprint "nope" not found/,
    );
    const badStage = await h.api('/v1/blueprints/auterity-aws/plan?stage=qa');
    assert.equal(badStage.status, 400);
    assert.match(
      ((await badStage.json()) as { message: string }).message,
      /stage must be one of dev, staging, prod/,
    );
  });
});
