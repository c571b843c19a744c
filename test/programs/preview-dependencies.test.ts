import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import { awsData } from '../../programs/aws/data';
import { resolveLayerConfig } from '../../programs/lib/config';
import { waitForRegistrations } from '../../programs/lib/pulumi-internals';

describe('a preview before the layers it depends on exist', () => {
  it('plans the layer with unknown dependency outputs instead of failing', async () => {
    const registered: { type: string; inputs: Record<string, unknown> }[] = [];
    // Programs are factories, so importing one registers nothing: the mocks only need to be
    // in place (in preview mode, as a first approval preview runs) before the program runs.
    await pulumi.runtime.setMocks(
      {
        newResource: (args) => {
          registered.push({ type: args.type, inputs: args.inputs });
          return { id: `${args.name}-id`, state: args.inputs };
        },
        call: (args) => args.inputs,
      },
      'strata',
      'pr-1.data',
      true,
    );
    const args = {
      environment: 'pr-1',
      stage: 'prod' as const,
      config: resolveLayerConfig(awsData, 'prod', {}),
      inputs: {},
      runtime: {
        dataDir: '/tmp',
        bucketsDir: '/tmp/buckets',
        localPostgresUrl: 'postgres://x@h/db',
        preview: true,
      },
    };
    await awsData.program(args)();
    await waitForRegistrations();
    const instance = registered.find((r) => r.type === 'aws:rds/instance:Instance');
    assert.ok(instance, `no database planned: ${registered.map((r) => r.type).join(', ')}`);
    assert.equal(instance.inputs.storageEncrypted, true);

    // Applying is different: a missing dependency is an error that says what to add.
    await assert.rejects(
      async () => awsData.program({ ...args, runtime: { ...args.runtime, preview: false } })(),
      /needs output "\w+" of the network layer/,
    );
  });
});
