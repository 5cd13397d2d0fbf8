// The one Ed25519 rule (src/protocol/ed25519.ts, DESIGN.md §1) against the shared vectors of
// test/vectors/ed25519/: every verifier in the project — node:crypto (server, mirror, CLI),
// WebCrypto and tweetnacl (SDK, page) — accepts every valid case and refuses every invalid one,
// for the reason the vector names, although the raw back ends accept several of them.
import { ed25519, ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import {
  ed25519KeyDefect,
  ed25519SignatureDefect,
  isAcceptableEd25519Key,
  isCanonicalPointEncoding,
  isReducedScalar,
  isSmallOrderEncoding,
} from '../../src/protocol/ed25519.js';
import { formatVerifierKey, noteKey, parseVerifierKey } from '../../src/protocol/checkpoint.js';
import { parseIdentityRecord, verifyIdentitySignatures } from '../../src/protocol/identity.js';
import { webCryptoVerifier } from '../../src/sdk/crypto.js';
import { tweetnaclVerify } from '../../src/sdk/tweetnacl-verify.js';
import { nodeVerify, nodeVerifyOnPool } from '../../src/node/node-ed25519.js';
import { codeOf, codeOfSync } from '../helpers/errors.js';
import { constructedSigner, defectiveSignerFor, genesisWith, keyOnly } from '../helpers/forged-records.js';
import { fromLe, hex, L, le32, P } from '../helpers/bytes.js';
import { newIdentity } from '../helpers/identities.js';
import { buildInvalid, buildValid, loadVectors, type VectorCase } from '../vectors/ed25519/cases.js';

const { valid, invalid } = loadVectors();
const KEY_DEFECTS = new Set(['non-canonical-key', 'key-not-on-curve', 'small-order-key', 'mixed-order-key']);

const verifiers = [
  ['node:crypto', nodeVerify],
  ['node:crypto on the thread pool', nodeVerifyOnPool],
  ['WebCrypto', webCryptoVerifier(globalThis.crypto.subtle)],
  ['tweetnacl', tweetnaclVerify],
] as const;

const bytesOf = (c: VectorCase) => ({ publicKey: hex(c.publicKey), message: hex(c.message), signature: hex(c.signature) });

describe('the vector files', () => {
  it('are exactly what test/vectors/ed25519/generate.ts makes, raw back-end verdicts included', () => {
    expect(buildValid()).toEqual(valid);
    expect(buildInvalid()).toEqual(invalid);
  });

  it('hold the cases the raw back ends get wrong: the reason for the rule', () => {
    const raw = (id: string) => invalid.cases.find((c) => c.id === id)!.raw;
    expect(raw('mixed-order-key')).toEqual({ 'node:crypto': true, tweetnacl: true, zip215: true });
    expect(raw('identity-r')).toEqual({ 'node:crypto': true, tweetnacl: true, zip215: true });
    expect(raw('s-plus-l')).toMatchObject({ 'node:crypto': false, tweetnacl: true });
    expect(raw('non-canonical-r')).toMatchObject({ 'node:crypto': false, zip215: true });
    expect(raw('all-zero-key')).toMatchObject({ 'node:crypto': true, tweetnacl: true });
    for (const c of valid.cases) expect(c.raw).toEqual({ 'node:crypto': true, tweetnacl: true, zip215: true });
  });
});

describe.each(verifiers)('%s under the rule', (_name, verify) => {
  it.each(valid.cases.map((c) => [c.id, c] as const))('accepts valid %s', async (_id, c) => {
    const { publicKey, message, signature } = bytesOf(c);
    expect(await verify(publicKey, message, signature)).toBe(true);
  });

  it.each(invalid.cases.map((c) => [c.id, c] as const))('refuses invalid %s', async (_id, c) => {
    const { publicKey, message, signature } = bytesOf(c);
    expect(await verify(publicKey, message, signature)).toBe(false);
  });
});

describe('the rule names the reason each invalid case is refused', () => {
  it.each(valid.cases.map((c) => [c.id, c] as const))('valid %s: no defect in key or signature', (_id, c) => {
    expect(ed25519KeyDefect(hex(c.publicKey))).toBeNull();
    expect(ed25519SignatureDefect(hex(c.signature))).toBeNull();
    expect(isAcceptableEd25519Key(hex(c.publicKey))).toBe(true);
  });

  it.each(invalid.cases.map((c) => [c.id, c] as const))('invalid %s', (_id, c) => {
    if (KEY_DEFECTS.has(c.defect!)) {
      expect(ed25519KeyDefect(hex(c.publicKey))).toBe(c.defect);
      expect(isAcceptableEd25519Key(hex(c.publicKey))).toBe(false);
    } else if (c.defect === 'equation') {
      // No byte check sees it: the back end's cofactorless equation refuses it.
      expect([ed25519KeyDefect(hex(c.publicKey)), ed25519SignatureDefect(hex(c.signature))]).toEqual([null, null]);
      expect(c.raw['node:crypto']).toBe(false);
    } else {
      expect(ed25519KeyDefect(hex(c.publicKey))).toBeNull();
      expect(ed25519SignatureDefect(hex(c.signature))).toBe(c.defect);
    }
  });
});

describe('the byte checks', () => {
  /** Every spelling of every small-order point, derived here from the curve rather than listed. */
  function smallOrderSpellings(): Uint8Array[] {
    const spellings: Uint8Array[] = [];
    for (const canonical of ED25519_TORSION_SUBGROUP.map(hex)) {
      const y = fromLe(Uint8Array.from([...canonical.slice(0, 31), canonical[31]! & 0x7f]));
      const sign = canonical[31]! & 0x80;
      for (const yy of [y, y + P]) {
        if (yy >= 2n ** 255n) continue;
        for (const s of y === 1n || y === P - 1n ? [0, 0x80] : [sign]) {
          const bytes = le32(yy);
          bytes[31]! |= s;
          spellings.push(bytes);
        }
      }
    }
    return spellings;
  }

  it('know every spelling of every small-order point, and each is one (lax decoding, order ≤ 8)', () => {
    const spellings = smallOrderSpellings();
    expect(spellings).toHaveLength(14);
    for (const bytes of spellings) {
      expect(isSmallOrderEncoding(bytes)).toBe(true);
      expect(ed25519.Point.fromBytes(bytes, true).isSmallOrder()).toBe(true);
    }
    // Exactly the 8 canonical ones pass the canonical check.
    expect(spellings.filter(isCanonicalPointEncoding)).toHaveLength(8);
  });

  it('do not mistake ordinary keys for small-order or non-canonical ones', () => {
    for (let i = 0; i < 50; i++) {
      const key = nacl.sign.keyPair().publicKey;
      expect(isSmallOrderEncoding(key)).toBe(false);
      expect(isCanonicalPointEncoding(key)).toBe(true);
    }
  });

  it('compare S with L at the boundary', () => {
    expect(isReducedScalar(le32(0n))).toBe(true);
    expect(isReducedScalar(le32(L - 1n))).toBe(true);
    expect(isReducedScalar(le32(L))).toBe(false);
    expect(isReducedScalar(le32(L + 1n))).toBe(false);
    expect(isReducedScalar(le32(2n ** 256n - 1n))).toBe(false);
    expect(isReducedScalar(le32(2n ** 252n))).toBe(true); // below L = 2^252 + …
    expect(isReducedScalar(new Uint8Array(31))).toBe(false);
  });

  it('compare y with p at the boundary, the sign bit aside', () => {
    for (const sign of [0, 0x80]) {
      const at = (y: bigint) => {
        const bytes = le32(y);
        bytes[31]! |= sign;
        return isCanonicalPointEncoding(bytes);
      };
      expect(at(P - 2n)).toBe(true);
      expect(at(P)).toBe(false);
      expect(at(P + 18n)).toBe(false);
      expect(at(1n)).toBe(sign === 0); // x = 0: only the sign bit 0 is canonical
      expect(at(P - 1n)).toBe(sign === 0);
    }
  });

  it('answer for wrong lengths without throwing', () => {
    expect(ed25519SignatureDefect(new Uint8Array(63))).toBe('length');
    expect(ed25519KeyDefect(new Uint8Array(33))).toBe('length');
    expect(isAcceptableEd25519Key(new Uint8Array(0))).toBe(false);
    for (const [, verify] of verifiers) expect(verify(new Uint8Array(31), new Uint8Array(0), new Uint8Array(64))).toBeFalsy();
  });
});

describe('records carrying the vectors, checked by the protocol code every verifier shares', () => {
  it.each(invalid.cases.filter((c) => KEY_DEFECTS.has(c.defect!)).map((c) => [c.id, c] as const))('%s as publicKey: the schema refuses it (INVALID_RECORD)', async (_id, c) => {
    const signing = c.construction.kind === 'none' ? keyOnly(c.publicKey) : constructedSigner(c.construction);
    const { record } = await genesisWith({ signing });
    expect(codeOfSync(() => parseIdentityRecord(record))).toBe('INVALID_RECORD');
  });

  it('a proof with a small-order R: every verifier says BAD_SIGNATURE', async () => {
    const identity = await newIdentity({ quickKeys: true });
    const { record } = await genesisWith({ signing: defectiveSignerFor(identity.signing, 'small-order-r') });
    const parsed = parseIdentityRecord(record); // well-formed: the signature's bytes are the problem
    for (const [, verify] of verifiers) expect(await codeOf(() => verifyIdentitySignatures(parsed, verify))).toBe('BAD_SIGNATURE');
  });
});

describe('a registry verifier key (vkey) the SDK, page, CLI and mirror pin', () => {
  it.each(valid.cases.map((c) => [c.id, c] as const))('with valid key %s is accepted', (_id, c) => {
    expect(parseVerifierKey(formatVerifierKey(noteKey('test.example/peerkeys', hex(c.publicKey))))).not.toBeNull();
  });

  it.each(invalid.cases.filter((c) => KEY_DEFECTS.has(c.defect!)).map((c) => [c.id, c] as const))('with invalid key %s is refused', (_id, c) => {
    expect(parseVerifierKey(formatVerifierKey(noteKey('test.example/peerkeys', hex(c.publicKey))))).toBeNull();
  });
});
