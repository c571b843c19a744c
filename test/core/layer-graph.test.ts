import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { LAYERS } from '../../core/domain';
import { effectiveDependencies, layerGroups } from '../../core/layer-graph';
import { stackName, stackWorkDir } from '../../core/stack-name';

describe('layer graph', () => {
  it('runs a full environment forward in dependency groups, independent layers together', () => {
    assert.deepEqual(layerGroups(LAYERS, 'forward'), [
      ['network'],
      ['data', 'storage'],
      ['compute'],
      ['serverless', 'observability'],
    ]);
  });

  it('destroys backward: dependents before what they depend on', () => {
    assert.deepEqual(layerGroups(LAYERS, 'backward'), [
      ['serverless', 'observability'],
      ['compute'],
      ['data', 'storage'],
      ['network'],
    ]);
  });

  it('skips absent layers but keeps the order through them', () => {
    assert.deepEqual(layerGroups(['compute', 'network'], 'forward'), [['network'], ['compute']]);
    assert.deepEqual(effectiveDependencies('compute', new Set(['network', 'compute'])), [
      'network',
    ]);
    assert.deepEqual(layerGroups(['storage', 'data'], 'forward'), [['data', 'storage']]);
    assert.deepEqual(layerGroups(['observability'], 'backward'), [['observability']]);
  });
});

describe('stack naming', () => {
  it('names one stack per environment and layer, without ambiguity', () => {
    assert.equal(stackName('pr-142', 'data'), 'pr-142.data');
    assert.notEqual(stackName('a-b', 'data'), stackName('a', 'b-data' as never));
    assert.equal(
      stackWorkDir('/var/lib/strata', 'pr-142', 'data'),
      '/var/lib/strata/work/pr-142/data',
    );
  });
});
