import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { planDifference } from '../../../workers/engine/plan-difference';

describe('approved plan comparison', () => {
  const role = { urn: 'urn:pulumi:pr.data::strata::strata:PostgresRole::role', op: 'create' };
  const db = { urn: 'urn:pulumi:pr.data::strata::strata:PostgresDatabase::database', op: 'create' };

  it('accepts the same steps in any order', () => {
    assert.equal(planDifference([role, db], [db, role]), undefined);
    assert.equal(planDifference([], []), undefined);
  });

  it('names each step that appeared or disappeared', () => {
    const message = planDifference([role], [{ ...role, op: 'replace' }, db]);
    assert.ok(message);
    assert.match(message, /differ from the approved preview/);
    assert.match(message, /new: replace urn:.*::role/);
    assert.match(message, /new: create urn:.*::database/);
    assert.match(message, /no longer planned: create urn:.*::role/);
  });
});
