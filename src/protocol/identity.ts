/** Identity records (DESIGN.md §2): the schema and the signatures. Chain rules: identity-rules.ts. */
import * as z from 'zod/mini';
import { fromBase64Url } from './encoding.js';
import { ProtocolError } from './errors.js';
import { parseAndEncodeRecord, parseRecord, type Assert, type EncodedRecord, type SchemaMatches } from './records.js';
import {
  displayNameSchema,
  distinct,
  ed25519KeySchema,
  hashSchema,
  peersIdSchema,
  signatureSchema,
  statusSchema,
  timestampSchema,
  x25519KeySchema,
} from './schemas.js';
import { signingInput, signingInputFromCanonical, type VerifySignature } from './signing.js';

export const IDENTITY_MAX_BYTES = 4 * 1024;
export const MAX_ROTATION_KEYS = 5;

/** @internal */
export const identityRecordSchema = z
  .strictObject({
    type: z.literal('identity'),
    userId: peersIdSchema,
    seq: z.int().check(z.minimum(0)),
    prev: z.nullable(hashSchema),
    publicKey: ed25519KeySchema,
    publicBoxKey: x25519KeySchema,
    rotationKeys: z
      .array(ed25519KeySchema)
      .check(z.minLength(1), z.maxLength(MAX_ROTATION_KEYS), z.refine(distinct, 'rotation keys must be distinct')),
    status: statusSchema,
    name: z.optional(displayNameSchema(64)),
    createdAt: timestampSchema,
    publicKeyProof: signatureSchema,
    signer: ed25519KeySchema,
    sig: signatureSchema,
  })
  .check(
    z.refine((r) => (r.seq === 0) === (r.prev === null), { message: 'seq 0 and prev null go together: only a genesis has them', path: ['prev'] }),
    z.refine((r) => r.seq !== 0 || r.status === 'active', { message: 'a genesis record is active', path: ['status'] }),
  );

/**
 * One record of an identity's chain (DESIGN.md §2). Keys, hashes and signatures are unpadded
 * base64url; times are RFC 3339 UTC with milliseconds.
 */
export type IdentityRecord = {
  type: 'identity';
  /** The Peers id: 25 characters of [0-9a-z]. */
  userId: string;
  /** 0 for the genesis, then one more per record. */
  seq: number;
  /** The hash of the previous record; null only for the genesis. */
  prev: string | null;
  /** Ed25519 signing key. */
  publicKey: string;
  /** X25519 box key. */
  publicBoxKey: string;
  /** The Ed25519 keys that may sign the next record, 1 to 5 and distinct. */
  rotationKeys: string[];
  status: 'active' | 'revoked';
  /** A display name, 1 to 64 characters. */
  name?: string | undefined;
  createdAt: string;
  /** `publicKey`'s signature over the record: proof that its holder agreed. */
  publicKeyProof: string;
  /** The key that signed `sig`: one of the previous record's `rotationKeys`. */
  signer: string;
  sig: string;
};
type _IdentityRecordMatchesSchema = Assert<SchemaMatches<typeof identityRecordSchema, IdentityRecord>>;
export type UnsignedIdentityRecord = Omit<IdentityRecord, 'sig' | 'publicKeyProof'>;

/** Both identity signatures (`sig` and `publicKeyProof`) cover the record without either of them. */
export function identitySigningInput(record: UnsignedIdentityRecord | IdentityRecord): Uint8Array {
  return signingInput('identity', record, ['sig', 'publicKeyProof']);
}

export function parseIdentityRecord(value: unknown): IdentityRecord {
  return parseRecord(identityRecordSchema, value, IDENTITY_MAX_BYTES, 'identity');
}

/** parseIdentityRecord, with the record's canonical JSON (what the registry hashes and logs). @internal (the registry's, not the SDK's) */
export function parseAndEncodeIdentityRecord(value: unknown): EncodedRecord<IdentityRecord> {
  return parseAndEncodeRecord(identityRecordSchema, value, IDENTITY_MAX_BYTES, 'identity');
}

/**
 * identitySigningInput of a parsed record, cut out of the canonical JSON it was encoded to
 * (signingInputFromCanonical: an identity record's only nested value is an array of strings)
 * instead of encoding it again. @internal (the registry's)
 */
export function encodedIdentitySigningInput(encoded: EncodedRecord<IdentityRecord>): Uint8Array {
  return signingInputFromCanonical('identity', encoded.record, encoded.canonical, ['sig', 'publicKeyProof']);
}

/**
 * Checks `sig` under `signer` and `publicKeyProof` under `publicKey`. Both are always verified, so
 * a failure takes the same path whichever one is wrong; either failing is BAD_SIGNATURE. Both are
 * started before either is awaited: an asynchronous verifier (the registry's thread pool, WebCrypto)
 * runs them together.
 */
export async function verifyIdentitySignatures(record: IdentityRecord, verify: VerifySignature): Promise<void> {
  return verifyIdentitySignaturesOver(record, identitySigningInput(record), verify);
}

/** verifyIdentitySignatures of a parsed record, its signing input cut out of its canonical JSON (encodedIdentitySigningInput). @internal (the registry's) */
export function verifyEncodedIdentitySignatures(encoded: EncodedRecord<IdentityRecord>, verify: VerifySignature): Promise<void> {
  return verifyIdentitySignaturesOver(encoded.record, encodedIdentitySigningInput(encoded), verify);
}

async function verifyIdentitySignaturesOver(record: IdentityRecord, message: Uint8Array, verify: VerifySignature): Promise<void> {
  const [sigOk, proofOk] = await Promise.all([
    verify(fromBase64Url(record.signer, 32)!, message, fromBase64Url(record.sig, 64)!),
    verify(fromBase64Url(record.publicKey, 32)!, message, fromBase64Url(record.publicKeyProof, 64)!),
  ]);
  if (!sigOk || !proofOk) {
    throw new ProtocolError('BAD_SIGNATURE', !sigOk ? 'sig does not verify under signer' : 'publicKeyProof does not verify under publicKey');
  }
}
