import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { reviewEnvironmentName } from '../../core/review-templates';

const VALID = /^[a-z][a-z0-9-]{1,38}[a-z0-9]$/;

describe('review environment names', () => {
  it('follow the pattern when the repository name is short', () => {
    assert.equal(reviewEnvironmentName('{repo}-pr-{number}', 'Acme/Shop', 42), 'shop-pr-42');
    assert.equal(
      reviewEnvironmentName('{owner}-{repo}-{number}', 'Acme/my_shop.web', 7),
      'acme-my-shop-web-7',
    );
  });

  it('stay valid, distinct and keep the number however long the repository name is', () => {
    const long = `acme/${'storefront-'.repeat(10)}`;
    const a = reviewEnvironmentName('{repo}-pr-{number}', long, 123456);
    const b = reviewEnvironmentName('{repo}-pr-{number}', `${long}x`, 123456);
    assert.match(a, VALID);
    assert.match(b, VALID);
    assert.ok(a.endsWith('-pr-123456'), a);
    assert.notEqual(a, b);
  });

  it('start with a letter and have three characters at least', () => {
    assert.match(reviewEnvironmentName('{number}', 'acme/shop', 1), VALID);
    assert.match(reviewEnvironmentName('{repo}-{number}', 'acme/1-shop', 1), VALID);
    assert.match(reviewEnvironmentName('{repo}-{number}', 'acme/---', 1), VALID);
  });
});
