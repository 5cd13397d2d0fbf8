import { createHash } from 'node:crypto';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { fromUtf8 } from '../../src/protocol/encoding.js';
import { parseJson } from '../../src/protocol/json.js';
import { canonicalJson } from '../../src/protocol/json.js';
import { SIGNING_PREFIX, canonicalBytes, hasCanonicalScalar, recordHash, signingInput, signingInputFromCanonical } from '../../src/protocol/signing.js';
import { L, le32 } from '../helpers/bytes.js';
import { expectWith } from '../helpers/expect-with.js';

const text = (bytes: Uint8Array) => fromUtf8(bytes)!;

/** A 64-byte signature with the given R bytes and scalar S (little-endian). */
function signatureWith(s: bigint, r: Uint8Array = new Uint8Array(32)): Uint8Array {
  const signature = new Uint8Array(64);
  signature.set(r);
  signature.set(le32(s), 32);
  return signature;
}

describe('signingInputFromCanonical', () => {
  const cut = (record: Record<string, unknown>, omit: string[]) => text(signingInputFromCanonical('identity', record, canonicalJson(record), omit));
  const encoded = (record: Record<string, unknown>, omit: string[]) => text(signingInput('identity', record, omit));

  it('is signingInput for flat records, whichever members the omitted ones sit between', () => {
    for (const record of [
      { sig: 's', publicKeyProof: 'p', seq: 3, signer: 'k' },
      { a: 1, sig: 's', publicKeyProof: 'p' },
      { publicKeyProof: 'p', sig: 's' },
      { sig: 's' },
      { publicKeyProof: 'p', z: ['sig', 's'], sig: 's', name: '"sig":"s"' },
    ]) {
      expect(cut(record, ['sig', 'publicKeyProof'].filter((k) => k in record))).toBe(encoded(record, ['sig', 'publicKeyProof'].filter((k) => k in record)));
    }
  });

  it('is signingInput for any flat record whose values spell its signatures again, quoted or not', () => {
    const value = fc.oneof(fc.string({ unit: 'binary' }), fc.maxSafeInteger(), fc.boolean(), fc.constant(null), fc.array(fc.string({ unit: 'binary' })));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.dictionary(fc.string({ unit: 'binary' }), value), fc.nat(3), (sig, proof, rest, echo) => {
        // Other values that contain the omitted members' text, so a cut that trusted the first match would cut the wrong one.
        const spelled = [`"sig":${JSON.stringify(sig)}`, `,"publicKeyProof":${JSON.stringify(proof)},`, sig, proof][echo]!;
        const record: Record<string, unknown> = { ...rest, name: spelled, list: [spelled], sig, publicKeyProof: proof };
        expect(cut(record, ['sig', 'publicKeyProof'])).toBe(encoded(record, ['sig', 'publicKeyProof']));
      }),
    );
  });

  it('is signingInput for records that hold copies of the omitted members in objects, or in keys that end in `"sig`', () => {
    // The review of d0c6800: a cut that trusted the first match, the nested one between `{` and `}`, signed `{}`.
    for (const record of [
      { '\u0000': [{ sig: '' }], sig: '' },
      { a: { sig: 'V' }, sig: 'V' },
      { sig: 'V', z: [{ sig: 'V' }] },
      { 'a"sig': 'V', sig: 'V' },
      { 'x"sig': 'V', sig: 'V' },
      { 'a"sig': 'V', publicKeyProof: 'V', sig: 'V' },
    ]) {
      const omit = ['sig', 'publicKeyProof'].filter((k) => k in record);
      expectWith(cut(record, omit), JSON.stringify(record)).toBe(encoded(record, omit));
    }
  });

  it('is signingInput for any record, nested, whose objects hold the omitted members again', () => {
    const { json } = fc.letrec<{ json: unknown }>((tie) => ({
      json: fc.oneof(
        { depthSize: 'small' },
        fc.string({ unit: 'binary' }),
        fc.maxSafeInteger(),
        fc.boolean(),
        fc.constant(null),
        fc.array(tie('json'), { maxLength: 3 }),
        fc.dictionary(fc.string({ unit: 'binary' }), tie('json'), { maxKeys: 3 }),
      ),
    }));
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), fc.string({ unit: 'binary' }), fc.dictionary(fc.string({ unit: 'binary' }), json, { maxKeys: 4 }), (sig, proof, rest) => {
        // "inner" and "list" sort before "publicKeyProof" and "sig": the copies come first in the text.
        const record: Record<string, unknown> = { ...rest, inner: { sig, publicKeyProof: proof, rest }, list: [{ sig }, { publicKeyProof: proof }], sig, publicKeyProof: proof };
        expect(cut(record, ['sig', 'publicKeyProof'])).toBe(encoded(record, ['sig', 'publicKeyProof']));
      }),
    );
  });

  it('falls back to encoding the record when an omitted member is missing or not a string', () => {
    expect(cut({ a: 1, sig: 2 }, ['sig'])).toBe('peerkeys:v1:identity\n{"a":1}');
    expect(cut({ a: 1 }, ['sig'])).toBe('peerkeys:v1:identity\n{"a":1}');
    const record = { a: 'x', sig: 's' };
    expect(text(signingInputFromCanonical('identity', record, '{"a":"x"}', ['sig']))).toBe('peerkeys:v1:identity\n{"a":"x"}');
  });

  // Each rule below is enough on its own for a text that is the record's canonical JSON, so a rule can
  // be seen only in which way the function goes: handed a text that differs from the record's own in
  // `tag` alone, a cut shows the text's tag and a fallback (signingInput) the record's.
  describe('which way it goes', () => {
    const way = (record: Record<string, unknown>, omit: string[] = ['sig']) => {
      const got = text(signingInputFromCanonical('identity', { ...record, tag: 'record' }, canonicalJson({ ...record, tag: 'text' }), omit));
      if (got === encoded({ ...record, tag: 'record' }, omit)) return 'encoded';
      if (got === encoded({ ...record, tag: 'text' }, omit)) return 'cut';
      return got;
    };
    const identity = {
      type: 'identity',
      userId: 'abcdefghijklmnopqrstuvwxy',
      seq: 1,
      prev: 'h'.repeat(43),
      publicKey: 'k'.repeat(43),
      publicBoxKey: 'b'.repeat(43),
      rotationKeys: ['r'.repeat(43), 's'.repeat(43)],
      status: 'active',
      createdAt: '2026-01-01T00:00:00.000Z',
      publicKeyProof: 'p'.repeat(86),
      signer: 'r'.repeat(43),
      sig: 's'.repeat(86),
    };

    it('cuts for an identity record (flat, its one array of strings), whatever its name spells but a `{`', () => {
      for (const name of [undefined, 'Alice', '"sig":"', '}],[\\"sig', ',"publicKeyProof":"p"']) {
        const record = name === undefined ? identity : { ...identity, name };
        expectWith(way(record, ['sig', 'publicKeyProof']), name).toBe('cut');
      }
    });

    it('falls back when the text holds a `{` past its first character (an object inside the record, or one in a string), the members found once and in place', () => {
      expect(way({ a: [{ b: 1 }], sig: 'V' })).toBe('encoded');
      expect(way({ a: { b: 1 }, sig: 'V' })).toBe('encoded');
      expect(way({ sig: 'V', z: { b: 1 } })).toBe('encoded');
      expect(way({ ...identity, name: 'a{b' }, ['sig', 'publicKeyProof'])).toBe('encoded');
    });

    it('falls back when a member\'s text is found twice, even when the first is the member', () => {
      // {"sig":"V","tag":"text","x\"sig":"V"}: the second starts inside the key x"sig.
      expect(way({ sig: 'V', 'x"sig': 'V' })).toBe('encoded');
      expect(way({ sig: 'V', x: 'V' })).toBe('cut');
    });

    it('falls back when the only match is not a whole member: it starts inside a key, or the text ends after it', () => {
      // A text without the member but for one that starts at the escaped quote of the key a"sig.
      const record = { 'a"sig': 'V', sig: 'V' };
      expect(text(signingInputFromCanonical('identity', record, '{"a\\"sig":"V"}', ['sig']))).toBe(encoded(record, ['sig']));
      expect(text(signingInputFromCanonical('identity', { a: 1, sig: 'V' }, '{"a":1,"sig":"V"', ['sig']))).toBe(encoded({ a: 1, sig: 'V' }, ['sig']));
    });
  });
});

describe('signingInput', () => {
  it('is "peerkeys:v1:<type>\\n" followed by the canonical record without the omitted fields', () => {
    const record = { type: 'device', b: 1, a: 'x', sig: 'zzz' };
    expect(text(signingInput('device', record, ['sig']))).toBe('peerkeys:v1:device\n{"a":"x","b":1,"type":"device"}');
    expect(SIGNING_PREFIX).toBe('peerkeys:v1:');
  });

  it('omits every named field, and only those', () => {
    const record = { sig: 's', publicKeyProof: 'p', seq: 3, signer: 'k' };
    expect(text(signingInput('identity', record, ['sig', 'publicKeyProof']))).toBe('peerkeys:v1:identity\n{"seq":3,"signer":"k"}');
    expect(text(signingInput('identity', record, []))).toBe('peerkeys:v1:identity\n{"publicKeyProof":"p","seq":3,"sig":"s","signer":"k"}');
  });

  it('omits top-level fields only, not nested ones of the same name', () => {
    expect(text(signingInput('group', { members: [{ sig: 1 }], sig: 2 }, ['sig']))).toBe('peerkeys:v1:group\n{"members":[{"sig":1}]}');
  });

  it('starts with the prefix for any type and record', () => {
    fc.assert(
      fc.property(fc.stringMatching(/^[a-z]{1,10}$/), fc.dictionary(fc.string(), fc.integer()), (type, record) => {
        const input = text(signingInput(type, record, ['sig']));
        expect(input.startsWith(`peerkeys:v1:${type}\n`)).toBe(true);
        expect(JSON.parse(input.slice(`peerkeys:v1:${type}\n`.length))).toEqual(Object.fromEntries(Object.entries(record).filter(([k]) => k !== 'sig')));
      }),
    );
  });

  it('keeps an own "__proto__" field, as parseJson produces it, in the signed bytes', () => {
    // A plain assignment would set the copy's prototype instead and silently drop the field.
    const record = parseJson('{"__proto__":{"a":1},"b":2,"sig":"x"}') as Record<string, unknown>;
    expect(text(signingInput('t', record, ['sig']))).toBe('peerkeys:v1:t\n{"__proto__":{"a":1},"b":2}');
    expect(text(signingInput('t', parseJson('{"__proto__":0}') as object, []))).toBe('peerkeys:v1:t\n{"__proto__":0}');
  });

  it('does not modify the record', () => {
    const record = { a: 1, sig: 'x' };
    signingInput('t', record, ['sig']);
    expect(record).toEqual({ a: 1, sig: 'x' });
  });

  it('gives different bytes for different types (domain separation)', () => {
    const record = { a: 1 };
    expect(signingInput('identity', record, [])).not.toEqual(signingInput('device', record, []));
  });

  it('refuses records with values that are not protocol JSON', () => {
    expect(() => signingInput('t', { a: 1.5 }, [])).toThrow(TypeError);
    expect(() => signingInput('t', { a: undefined }, [])).toThrow(TypeError);
  });
});

describe('canonicalBytes and recordHash', () => {
  it('canonicalBytes is the UTF-8 of the canonical JSON, signatures included', () => {
    expect(text(canonicalBytes({ b: 'é', a: [1], sig: 's' }))).toBe('{"a":[1],"b":"é","sig":"s"}');
  });

  it('recordHash is base64url SHA-256 of the canonical JSON', () => {
    const record = { z: 1, a: 'é', sig: 'abc' };
    const expected = createHash('sha256').update('{"a":"é","sig":"abc","z":1}', 'utf8').digest('base64url');
    expect(recordHash(record)).toBe(expected);
    expect(recordHash(record)).toHaveLength(43);
    expect(recordHash({})).toBe('RBNvo1WzZ4oRRq0W9-hknpT7T8If536DEMBg9hyq_4o'); // SHA-256("{}")
  });

  it('covers sig, unlike the signing input', () => {
    expect(recordHash({ a: 1, sig: 'x' })).not.toBe(recordHash({ a: 1, sig: 'y' }));
    expect(signingInput('t', { a: 1, sig: 'x' }, ['sig'])).toEqual(signingInput('t', { a: 1, sig: 'y' }, ['sig']));
  });

  it('does not depend on key order', () => {
    expect(recordHash({ a: 1, b: 2 })).toBe(recordHash({ b: 2, a: 1 }));
  });
});

describe('hasCanonicalScalar', () => {
  it('accepts S < L', () => {
    expect(hasCanonicalScalar(signatureWith(0n))).toBe(true);
    expect(hasCanonicalScalar(signatureWith(1n))).toBe(true);
    expect(hasCanonicalScalar(signatureWith(L - 1n))).toBe(true);
    expect(hasCanonicalScalar(signatureWith(L - 1n, new Uint8Array(32).fill(0xff)))).toBe(true); // R does not matter
  });

  it('rejects S >= L', () => {
    for (const s of [L, L + 1n, 2n * L, 2n ** 253n, 2n ** 256n - 1n]) expectWith(hasCanonicalScalar(signatureWith(s)), String(s)).toBe(false);
  });

  it('accepts real signatures, and rejects them with L added to S', () => {
    const pair = nacl.sign.keyPair.fromSeed(new Uint8Array(32).fill(3));
    fc.assert(
      fc.property(fc.uint8Array({ maxLength: 64 }), (message) => {
        const signature = nacl.sign.detached(message, pair.secretKey);
        expect(hasCanonicalScalar(signature)).toBe(true);
        let s = 0n;
        for (let i = 63; i >= 32; i--) s = (s << 8n) | BigInt(signature[i]!);
        expect(hasCanonicalScalar(signatureWith(s + L, signature.subarray(0, 32)))).toBe(false);
      }),
      { numRuns: 30 },
    );
  });

  it('rejects signatures that are not 64 bytes', () => {
    expect(hasCanonicalScalar(new Uint8Array(63))).toBe(false);
    expect(hasCanonicalScalar(new Uint8Array(65))).toBe(false);
    expect(hasCanonicalScalar(new Uint8Array(0))).toBe(false);
  });
});
