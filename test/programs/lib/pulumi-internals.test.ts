/**
 * The SDK internals Strata relies on, checked against the installed @pulumi/pulumi: an upgrade
 * that moves or reshapes one fails here, by name, rather than as a wrong plan or preview.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { test } from 'node:test';
import * as pulumi from '@pulumi/pulumi';
import {
  PULUMI_SDK_CHECKED,
  isSerializedSecret,
  onRegisterUnderMocks,
  unknownOutput,
  waitForRegistrations,
} from '../../../programs/lib/pulumi-internals';

function sdkModule(name: string): Record<string, unknown> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require(`@pulumi/pulumi/${name}`) as Record<string, unknown>;
}

test('the installed SDK is the version the internals were checked against', () => {
  const manifest = path.join(path.dirname(require.resolve('@pulumi/pulumi')), 'package.json');
  const { version } = JSON.parse(fs.readFileSync(manifest, 'utf8')) as { version: string };
  assert.equal(
    version,
    PULUMI_SDK_CHECKED,
    'check every use in programs/lib/pulumi-internals.ts and workers/engine/lean-stack.ts, then update PULUMI_SDK_CHECKED',
  );
});

test("secrets are recognised by the SDK's own serialization signature", () => {
  const rpc = sdkModule('runtime/rpc');
  assert.equal(typeof rpc.specialSigKey, 'string');
  const serialized = { [rpc.specialSigKey as string]: rpc.specialSecretSig, value: 'hunter2' };
  assert.equal(isSerializedSecret(serialized), true);
  assert.equal(isSerializedSecret({ value: 'hunter2' }), false);
});

test('an unknown Output is an Output whose value is not known', async () => {
  const output = unknownOutput<string>();
  assert.equal(pulumi.Output.isInstance(output), true);
  assert.equal(await (Reflect.get(output, 'isKnown') as Promise<boolean>), false);
  assert.equal(await pulumi.isSecret(output), false);
});

test('registrations under mocks reach the patched monitor, inputs serialized', async () => {
  await pulumi.runtime.setMocks(
    {
      newResource: (args) => ({ id: `${args.name}-id`, state: args.inputs }),
      call: (args) => args.inputs,
    },
    'strata',
    'internals',
    false,
  );
  const seen: { type: string; name: string; inputs: Record<string, unknown> }[] = [];
  onRegisterUnderMocks((type, name, inputs) => seen.push({ type, name, inputs }));
  class Thing extends pulumi.CustomResource {
    constructor(name: string, props: pulumi.Inputs) {
      super('test:index:Thing', name, props);
    }
  }
  new Thing('thing', {
    password: pulumi.secret('hunter2'),
    size: 2,
  });
  await waitForRegistrations();
  const thing = seen.find((r) => r.type === 'test:index:Thing');
  assert.ok(thing, 'the registration was seen');
  assert.equal(thing.name, 'thing');
  assert.equal(thing.inputs.size, 2);
  assert.equal(isSerializedSecret(thing.inputs.password), true);
});
