import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { capErrors, MAX_ERROR_TEXT_CHARS, MAX_LISTED_ERRORS } from '../../src/protocol/response-codes.ts';
import { payloadExcerpt } from '../../src/store/command-log.ts';

describe('bounded answers and log rows', () => {
  it('lists the first 20 problems and counts the rest', () => {
    const errors = Array.from({ length: 5000 }, (_, i) => ({ field: `fields.u${i}`, message: 'unknown field' }));
    const capped = capErrors(errors);
    assert.equal(capped.length, MAX_LISTED_ERRORS + 1);
    assert.deepEqual(capped.slice(0, MAX_LISTED_ERRORS), errors.slice(0, MAX_LISTED_ERRORS));
    assert.deepEqual(capped.at(-1), { field: '$', message: '… and 4,980 more' });
    const few = errors.slice(0, 20);
    assert.equal(capErrors(few), few, 'a short list is left as it is');
  });

  it('clips a huge key or message to 200 characters', () => {
    const [e] = capErrors([{ field: `fields.${'k'.repeat(60_000)}`, message: 'm'.repeat(500) }]);
    assert.ok(e);
    assert.equal(e.field.length, MAX_ERROR_TEXT_CHARS);
    assert.ok(e.field.endsWith('…') && e.message.length === MAX_ERROR_TEXT_CHARS);
  });

  it('a payload excerpt never cuts a UTF-8 character in two', () => {
    const text = `${'a'.repeat(4095)}€€`; // € is 3 bytes: the 4 KiB cut falls inside the first one
    const excerpt = payloadExcerpt(Buffer.from(text));
    assert.equal(excerpt, 'a'.repeat(4095));
    assert.ok(!excerpt.includes('\uFFFD'));
    assert.equal(payloadExcerpt(Buffer.from('{"x":"é"}')), '{"x":"é"}');
  });
});
