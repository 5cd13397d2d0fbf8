/**
 * The Ed25519 acceptance vectors (README.md beside this file): built here from fixed seeds, written
 * to valid.json and invalid.json by generate.ts, and rebuilt by test/unit/ed25519-vectors.test.ts
 * to prove the files are what this code makes.
 */
import { createPublicKey, verify as opensslVerify } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { ed25519 } from '@noble/curves/ed25519.js';
import { sha256 } from '@noble/hashes/sha2.js';
import nacl from 'tweetnacl';
import { hex, le32, P, SMALL_ORDER_ED25519 } from '../../helpers/bytes.js';
import {
  honestSignature,
  mixedOrderRSignature,
  mixedOrderSigner,
  nonCanonicalRSignature,
  smallOrderKeyForgery,
  smallOrderRSignature,
  withSPlusL,
} from '../../helpers/ed25519-forgery.js';

/** Which check of the rule (DESIGN.md §1, "Ed25519 acceptance") refuses a case. */
export type Defect =
  | 'non-canonical-key'
  | 'key-not-on-curve'
  | 'small-order-key'
  | 'mixed-order-key'
  | 'non-canonical-r'
  | 'small-order-r'
  | 's-not-reduced'
  | 'equation';

/** What a raw back end, without the rule's checks, answers: the reason the rule exists. */
export interface RawVerdicts {
  /** Node's crypto.verify (OpenSSL): cofactorless, R compared as bytes. */
  'node:crypto': boolean;
  /** tweetnacl 1.0.3 nacl.sign.detached.verify: cofactorless, no S < L check. */
  tweetnacl: boolean;
  /** @noble/curves ed25519.verify with zip215: the cofactored equation of ZIP-215. */
  'zip215': boolean;
}

/** How to make the same defect over any other message (the HTTP tests sign records with it). */
export type Construction =
  | { kind: 'honest'; seed: string }
  | { kind: 'mixed-order-key'; seed: string; torsion: number }
  | { kind: 'small-order-r'; seed: string; torsion: number }
  | { kind: 's-plus-l'; seed: string }
  | { kind: 'non-canonical-r'; seed: string }
  | { kind: 'mixed-order-r'; seed: string; torsion: number }
  | { kind: 'none' };

export interface VectorCase {
  id: string;
  /** null for a valid case. */
  defect: Defect | null;
  reason: string;
  publicKey: string;
  message: string;
  signature: string;
  raw: RawVerdicts;
  construction: Construction;
}

export interface VectorFile {
  description: string;
  cases: VectorCase[];
}

const toHex = (bytes: Uint8Array) => Buffer.from(bytes).toString('hex');
const utf8 = (text: string) => new TextEncoder().encode(text);

/** A fixed seed per name, so that every run makes the same keys. */
export function seedFor(name: string): Uint8Array {
  return sha256(utf8(`peerkeys ed25519 vector seed: ${name}`));
}

const SPKI_PREFIX = Buffer.from('302a300506032b6570032100', 'hex');

export function rawVerdicts(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array): RawVerdicts {
  let node: boolean;
  try {
    node = opensslVerify(null, message, createPublicKey({ key: Buffer.concat([SPKI_PREFIX, publicKey]), format: 'der', type: 'spki' }), signature);
  } catch {
    node = false; // OpenSSL refuses to import the key
  }
  let zip215: boolean;
  try {
    zip215 = ed25519.verify(signature, message, publicKey, { zip215: true });
  } catch {
    zip215 = false;
  }
  return { 'node:crypto': node, tweetnacl: nacl.sign.detached.verify(message, signature, publicKey), zip215 };
}

/** Re-makes a construction's signature over `message`; null for the key-only cases. */
export function forge(construction: Construction, message: Uint8Array): { publicKey: Uint8Array; signature: Uint8Array } | null {
  switch (construction.kind) {
    case 'honest':
      return honestSignature(hex(construction.seed), message);
    case 'mixed-order-key': {
      const signer = mixedOrderSigner(hex(construction.seed), construction.torsion);
      return { publicKey: signer.publicKey, signature: signer.sign(message) };
    }
    case 'small-order-r':
      return smallOrderRSignature(hex(construction.seed), message, construction.torsion);
    case 's-plus-l': {
      const honest = honestSignature(hex(construction.seed), message);
      return { publicKey: honest.publicKey, signature: withSPlusL(honest.signature) };
    }
    case 'non-canonical-r':
      return nonCanonicalRSignature(hex(construction.seed), message);
    case 'mixed-order-r':
      return mixedOrderRSignature(hex(construction.seed), message, construction.torsion);
    case 'none':
      return null;
  }
}

function fromConstruction(id: string, defect: Defect | null, reason: string, construction: Construction): VectorCase {
  const message = utf8(`peerkeys:v1:vector\n${id}`);
  const made = forge(construction, message)!;
  return { id, defect, reason, ...encode(made.publicKey, message, made.signature), construction };
}

function encode(publicKey: Uint8Array, message: Uint8Array, signature: Uint8Array) {
  return { publicKey: toHex(publicKey), message: toHex(message), signature: toHex(signature), raw: rawVerdicts(publicKey, message, signature) };
}

/** A key-only case: a small-order or malformed key, with a signature the raw back ends may accept. */
function keyCase(id: string, defect: Defect, reason: string, publicKey: Uint8Array, withForgery: boolean): VectorCase {
  const prefix = utf8(`peerkeys:v1:vector\n${id}\n`);
  const { message, signature } = withForgery ? smallOrderKeyForgery(publicKey, prefix) : { message: prefix, signature: honestSignature(seedFor(id), prefix).signature };
  return { id, defect, reason, ...encode(publicKey, message, signature), construction: { kind: 'none' } };
}

/** RFC 8032 §7.1 TESTs 1-3. */
const RFC8032 = [
  {
    id: 'rfc8032-test-1',
    publicKey: 'd75a980182b10ab7d54bfed3c964073a0ee172f3daa62325af021a68f707511a',
    message: '',
    signature: 'e5564300c360ac729086e2cc806e828a84877f1eb8e5d974d873e065224901555fb8821590a33bacc61e39701cf9b46bd25bf5f0595bbe24655141438e7a100b',
  },
  {
    id: 'rfc8032-test-2',
    publicKey: '3d4017c3e843895a92b70aa74d1b7ebc9c982ccf2ec4968cc0cd55f12af4660c',
    message: '72',
    signature: '92a009a9f0d4cab8720e820b5f642540a2b27b5416503f8fb3762223ebdb69da085ac1e43e15996e458f3613d0f11d8c387b2eaeb4302aeeb00d291612bb0c00',
  },
  {
    id: 'rfc8032-test-3',
    publicKey: 'fc51cd8e6218a1a38da47ed00230f0580816ed13ba3303ac5deb911548908025',
    message: 'af82',
    signature: '6291d657deec24024827e69c3abe01a30ce548a284743a445e3680d7db5ac3ac18ff9b538d16f290ae67f760984dc6594a7c15e9716ed28dc027beceea1ec40a',
  },
];

export function buildValid(): VectorFile {
  const seed = (name: string) => toHex(seedFor(name));
  return {
    description: 'Ed25519 keys and signatures every peerkeys verifier accepts (DESIGN.md §1). Generated by test/vectors/ed25519/generate.ts; see README.md.',
    cases: [
      ...RFC8032.map((v): VectorCase => ({
        id: v.id,
        defect: null,
        reason: 'RFC 8032 §7.1 test vector',
        ...encode(hex(v.publicKey), hex(v.message), hex(v.signature)),
        construction: { kind: 'none' },
      })),
      fromConstruction('honest', null, 'an honest key and signature over a peerkeys-style message', { kind: 'honest', seed: seed('honest') }),
      fromConstruction('honest-2', null, 'another honest key and signature', { kind: 'honest', seed: seed('honest-2') }),
    ],
  };
}

export function buildInvalid(): VectorFile {
  const seed = (name: string) => toHex(seedFor(name));
  const smallOrder = (i: number) => SMALL_ORDER_ED25519[i]!;
  return {
    description: 'Ed25519 keys and signatures every peerkeys verifier refuses (DESIGN.md §1). Generated by test/vectors/ed25519/generate.ts; see README.md.',
    cases: [
      fromConstruction(
        'mixed-order-key',
        'mixed-order-key',
        'A = aB + T8 (T8 of order 8): its holder finds a nonce with k ≡ 0 mod 8, and then OpenSSL, tweetnacl and libsodium 1.0.18 (cofactorless) accept, as ZIP-215 (cofactored) does; for other messages they disagree',
        { kind: 'mixed-order-key', seed: seed('mixed-order-key'), torsion: 1 },
      ),
      fromConstruction(
        'mixed-order-key-t2',
        'mixed-order-key',
        'A = aB + T2 (the point (0, -1), order 2): the honest key with x and y negated; accepted by the raw back ends when k is even',
        { kind: 'mixed-order-key', seed: seed('mixed-order-key-t2'), torsion: 4 },
      ),
      fromConstruction(
        'identity-r',
        'small-order-r',
        'R = the identity, S = k·a under an honest key: the cofactorless equation holds, so OpenSSL and tweetnacl accept; libsodium refuses every small-order R (and S/k reveals the secret scalar)',
        { kind: 'small-order-r', seed: seed('identity-r'), torsion: 0 },
      ),
      fromConstruction(
        'order-8-r',
        'small-order-r',
        'R = a point of order 8, S = k·a: only the cofactored equation (ZIP-215) holds',
        { kind: 'small-order-r', seed: seed('order-8-r'), torsion: 1 },
      ),
      fromConstruction('s-plus-l', 's-not-reduced', 'an honest signature with S replaced by S + L: tweetnacl accepts it (no S < L check); a second valid-looking signature for the same message', {
        kind: 's-plus-l',
        seed: seed('s-plus-l'),
      }),
      fromConstruction(
        'non-canonical-r',
        'non-canonical-r',
        'R = the identity written with y = p + 1, S = k·a: verifiers that decode R (ZIP-215) accept, those that compare R as bytes refuse',
        { kind: 'non-canonical-r', seed: seed('non-canonical-r') },
      ),
      fromConstruction(
        'mixed-order-r',
        'equation',
        'R = rB + T8 under an honest key: no byte check sees it; the cofactored equation (ZIP-215) holds, the cofactorless one every peerkeys back end uses does not',
        { kind: 'mixed-order-r', seed: seed('mixed-order-r'), torsion: 1 },
      ),
      keyCase('identity-key', 'small-order-key', 'A = the identity (01 00…00): R = identity, S = 0 verifies for every message under every raw back end', smallOrder(0), true),
      keyCase('all-zero-key', 'small-order-key', 'A = 00…00, the order-4 point with y = 0: R = identity, S = 0 verifies whenever k ≡ 0 mod 4', smallOrder(6), true),
      keyCase('order-8-key', 'small-order-key', 'A of order 8: R = identity, S = 0 verifies whenever k ≡ 0 mod 8', smallOrder(1), true),
      keyCase('order-2-key', 'small-order-key', 'A = (0, -1), order 2: R = identity, S = 0 verifies whenever k is even', smallOrder(4), true),
      keyCase('non-canonical-identity-key', 'non-canonical-key', 'A = the identity with y = p + 1 (ee ff…7f): lax decoders reduce y mod p', le32(P + 1n), true),
      keyCase('signed-zero-x-key', 'non-canonical-key', 'A = the identity with the sign bit set although x = 0 (01 00…80): RFC 8032 §5.1.3 says decoding fails', Uint8Array.from([1, ...new Uint8Array(30), 0x80]), true),
      keyCase('non-canonical-key', 'non-canonical-key', 'y = 3 + p: the same point as y = 3 (on the curve, not of small order), written a second way', le32(3n + P), false),
      keyCase('not-on-curve-key', 'key-not-on-curve', 'y = 2: no x satisfies the curve equation', le32(2n), false),
      (() => {
        const c = fromConstruction('wrong-message', 'equation', 'an honest signature checked against another message', { kind: 'honest', seed: seed('wrong-message') });
        const other = utf8('peerkeys:v1:vector\nwrong-message, changed');
        return { ...c, message: toHex(other), raw: rawVerdicts(hex(c.publicKey), other, hex(c.signature)) };
      })(),
    ],
  };
}

/** The vector files as stored. */
export function loadVectors(): { valid: VectorFile; invalid: VectorFile } {
  const read = (name: string) => JSON.parse(readFileSync(new URL(`./${name}`, import.meta.url), 'utf8')) as VectorFile;
  return { valid: read('valid.json'), invalid: read('invalid.json') };
}

