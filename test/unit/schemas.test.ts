import fc from 'fast-check';
import { describe, expect, it } from '@jest/globals';
import {
  codePointLength,
  displayNameSchema,
  distinct,
  ed25519KeySchema,
  hashSchema,
  peersIdSchema,
  signatureSchema,
  timestampSchema,
  x25519KeySchema,
} from '../../src/protocol/schemas.js';
import { SMALL_ORDER_ED25519, b64url } from '../helpers/bytes.js';
import { boxKey, signingKey } from '../helpers/fixed-identities.js';

const ok = (schema: { safeParse: (value: unknown) => { success: boolean } }, value: unknown) => schema.safeParse(value).success;

describe('codePointLength', () => {
  it('counts code points, not UTF-16 units', () => {
    expect(codePointLength('')).toBe(0);
    expect(codePointLength('abc')).toBe(3);
    expect(codePointLength('😀😀')).toBe(2);
    expect(codePointLength('e\u0301')).toBe(2); // a combining mark is its own code point
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (text) => {
        expect(codePointLength(text)).toBe(Array.from(text).length);
      }),
    );
  });
});

describe('displayNameSchema', () => {
  it('accepts 1 to max code points and nothing else', () => {
    const schema = displayNameSchema(3);
    expect(ok(schema, 'a')).toBe(true);
    expect(ok(schema, '😀😀😀')).toBe(true);
    expect(ok(schema, '')).toBe(false);
    expect(ok(schema, 'abcd')).toBe(false);
    expect(ok(schema, 3)).toBe(false);
  });
});

describe('distinct', () => {
  it('is true when no value repeats', () => {
    expect(distinct([])).toBe(true);
    expect(distinct(['a', 'b'])).toBe(true);
    expect(distinct(['a', 'b', 'a'])).toBe(false);
  });
});

describe('key, signature and hash schemas', () => {
  it('accept well-formed values', () => {
    expect(ok(ed25519KeySchema, signingKey(1).publicKey)).toBe(true);
    expect(ok(x25519KeySchema, boxKey(1).publicKey)).toBe(true);
    expect(ok(signatureSchema, b64url(new Uint8Array(64)))).toBe(true);
    expect(ok(hashSchema, b64url(new Uint8Array(32)))).toBe(true);
  });

  it('reject small-order keys, wrong lengths, padding and non-strings', () => {
    expect(ok(ed25519KeySchema, b64url(SMALL_ORDER_ED25519[6]!))).toBe(false);
    expect(ok(x25519KeySchema, b64url(new Uint8Array(32)))).toBe(false);
    expect(ok(signatureSchema, b64url(new Uint8Array(32)))).toBe(false);
    expect(ok(hashSchema, b64url(new Uint8Array(64)))).toBe(false);
    expect(ok(hashSchema, `${b64url(new Uint8Array(32))}=`)).toBe(false);
    expect(ok(hashSchema, new Uint8Array(32))).toBe(false);
    // An over-long string is refused by length before it is decoded.
    expect(ok(hashSchema, 'A'.repeat(100_000))).toBe(false);
  });
});

describe('peersIdSchema and timestampSchema', () => {
  it('accept only Peers ids and RFC 3339 UTC milliseconds', () => {
    expect(ok(peersIdSchema, '0000000000aaaaaaaaaaaaaaa')).toBe(true);
    expect(ok(peersIdSchema, '0000000000AAAAAAAAAAAAAAA')).toBe(false);
    expect(ok(timestampSchema, '2026-11-24T21:00:00.000Z')).toBe(true);
    expect(ok(timestampSchema, '2026-11-24T21:00:00Z')).toBe(false);
    expect(ok(timestampSchema, '2026-11-24T21:00:00.0000000000Z')).toBe(false);
  });
});
