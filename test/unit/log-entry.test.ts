import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import canonicalize from 'canonicalize';
import fc from 'fast-check';
import { fromUtf8 } from '../../src/protocol/encoding.js';
import { canonicalJson } from '../../src/protocol/json.js';
import { logLeafBytes, logLeafBytesFromCanonical, logLeafHash } from '../../src/protocol/log-entry.js';

describe('logLeafBytes', () => {
  it('is JCS({ acceptedAt, record }) (DESIGN.md §5)', () => {
    const bytes = logLeafBytes('2026-11-24T21:00:00.000Z', { type: 'identity', seq: 0, a: 'é' });
    expect(fromUtf8(bytes)).toBe('{"acceptedAt":"2026-11-24T21:00:00.000Z","record":{"a":"é","seq":0,"type":"identity"}}');
  });

  it('spliced from the canonical record (logLeafBytesFromCanonical) is exactly JCS of the two-member object', () => {
    // Any record and time: names and strings needing escapes, non-ASCII, nesting.
    const json = fc.letrec<{ value: unknown }>((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string({ unit: 'binary' }), fc.maxSafeInteger(), fc.boolean(), fc.constant(null), fc.array(tie('value')), fc.dictionary(fc.string({ unit: 'binary' }), tie('value'))),
    })).value;
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.dictionary(fc.string({ unit: 'binary' }), json), (acceptedAt, record) => {
        const expected = canonicalize({ acceptedAt, record }) as string;
        expect(fromUtf8(logLeafBytesFromCanonical(acceptedAt, canonicalJson(record)))).toBe(expected);
      }),
    );
  });

  it('throws on a lone surrogate, in the record or the time, spliced or not (the property above never makes one)', () => {
    // fast-check's 'binary' unit draws whole code points only; JCS has no encoding for a lone
    // surrogate (RFC 8785 §3.2.2.2), so canonicalJson refuses it rather than logging U+FFFD.
    const time = '2026-11-24T21:00:00.000Z';
    for (const record of [{ a: '\uD800' }, { a: ['x\uDC00y'] }, { ['\uDBFF']: 1 }]) {
      expect(() => logLeafBytes(time, record)).toThrow(/surrogate/);
      expect(() => logLeafBytesFromCanonical(time, canonicalJson(record))).toThrow(/surrogate/);
    }
    expect(() => logLeafBytes('\uDFFF', { a: 1 })).toThrow(/surrogate/);
    expect(() => logLeafBytesFromCanonical('2026\uD83D', canonicalJson({ a: 1 }))).toThrow(/surrogate/);
  });
});

describe('logLeafHash', () => {
  it('is SHA-256(0x00 || leaf bytes) (RFC 9162 §2.1.1)', () => {
    const record = { type: 'identity', seq: 1 };
    const leaf = logLeafBytes('2026-11-24T21:00:00.000Z', record);
    const expected = createHash('sha256').update(Buffer.concat([Buffer.from([0]), Buffer.from(leaf)])).digest();
    expect(logLeafHash('2026-11-24T21:00:00.000Z', record)).toEqual(new Uint8Array(expected));
  });

  it('depends on the acceptance time as well as the record', () => {
    const record = { type: 'identity', seq: 1 };
    expect(logLeafHash('2026-11-24T21:00:00.000Z', record)).not.toEqual(logLeafHash('2026-11-24T21:00:00.001Z', record));
  });
});
