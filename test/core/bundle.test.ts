import assert from 'node:assert/strict';
import { randomBytes } from 'node:crypto';
import { describe, it } from 'node:test';
import dotenv from 'dotenv';
import {
  BundleEncodingError,
  envValue,
  quoteEnvValue,
  renderEnv,
  type Bundle,
} from '../../core/bundle';

function roundTrip(values: Record<string, string>): Record<string, string> {
  const bundle: Bundle = {
    environment: 'pr-1',
    generatedAt: '2026-01-01T00:00:00.000Z',
    entries: Object.entries(values).map(([key, value]) => ({
      key,
      value,
      layer: 'data',
      secret: false,
    })),
    outputs: {},
  };
  return dotenv.parse(renderEnv(bundle, ['data']));
}

describe('.env rendering', () => {
  it('gives back exactly what was rendered, whatever the value holds', () => {
    const values = {
      PLAIN: 'abc',
      SPACES: '  leading and trailing  ',
      HASH: 'pass#word # not a comment',
      SINGLE: "it's",
      DOUBLE: 'say "hi"',
      BOTH: `it's "quoted"`,
      DOLLAR: '$HOME ${USER} $(whoami)',
      NEWLINES: 'line one\nline two\n',
      CRLF: 'windows\r\nline',
      BACKSLASH_N: 'C:\\new\\folder',
      BACKSLASH_AND_QUOTES: `a'b"c\\n`,
      EQUALS: 'a=b=c',
      EMPTY: '',
      UNICODE: 'pässwörd ✓',
      URL: 'postgres://u:p%40ss@host:5432/db?sslmode=require',
    };
    assert.deepEqual(roundTrip(values), values);
  });

  it('round-trips random printable values', () => {
    const alphabet = ` abcXYZ019#$'"\\\`=\n\t{}!%&*`;
    for (let i = 0; i < 300; i++) {
      const bytes = randomBytes(24);
      let value = Array.from(bytes, (b) => alphabet[b % alphabet.length]).join('');
      // All three quote characters at once cannot be written; that case has its own test.
      if (value.includes("'") && value.includes('"') && value.includes('`'))
        value = value.replace(/`/g, '');
      assert.deepEqual(roundTrip({ KEY: value }), { KEY: value }, JSON.stringify(value));
    }
  });

  it('refuses a value it cannot write instead of writing a wrong one', () => {
    assert.throws(() => quoteEnvValue('X', `'"\``), BundleEncodingError);
  });

  it('writes a header naming the environment, its layers and the time, and filters by layer', () => {
    const bundle: Bundle = {
      environment: 'pr-7',
      generatedAt: '2026-02-03T04:05:06.000Z',
      entries: [
        { key: 'DB_HOST', value: 'db', layer: 'data', secret: false },
        { key: 'STORAGE_BUCKET', value: 'b', layer: 'storage', secret: false },
      ],
      outputs: {},
    };
    const text = renderEnv(bundle, ['storage']);
    assert.match(
      text,
      /^# Strata bundle for environment pr-7\n# layers: storage\n# generated: 2026-02-03T04:05:06.000Z\n/,
    );
    assert.deepEqual(dotenv.parse(text), { STORAGE_BUCKET: 'b' });
  });

  it('writes non-strings as applications read them', () => {
    assert.equal(envValue(5432), '5432');
    assert.equal(envValue(['a', 'b']), '["a","b"]');
    assert.equal(envValue(null), '');
  });
});
