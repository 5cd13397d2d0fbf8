/** Identity records (DESIGN.md §2): the schema and the signatures. Chain rules: identity-rules.ts. */
import { z } from 'zod';
import { fromBase64Url } from './encoding.js';
import { ProtocolError } from './errors.js';
import { parseRecord } from './records.js';
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
import { signingInput, type VerifySignature } from './signing.js';

export const IDENTITY_MAX_BYTES = 4 * 1024;
export const MAX_ROTATION_KEYS = 5;

export const identityRecordSchema = z
  .strictObject({
    type: z.literal('identity'),
    userId: peersIdSchema,
    seq: z.int().min(0),
    prev: hashSchema.nullable(),
    publicKey: ed25519KeySchema,
    publicBoxKey: x25519KeySchema,
    rotationKeys: z
      .array(ed25519KeySchema)
      .min(1)
      .max(MAX_ROTATION_KEYS)
      .refine(distinct, 'rotation keys must be distinct'),
    status: statusSchema,
    name: displayNameSchema(64).optional(),
    createdAt: timestampSchema,
    publicKeyProof: signatureSchema,
    signer: ed25519KeySchema,
    sig: signatureSchema,
  })
  .refine((r) => (r.seq === 0) === (r.prev === null), { message: 'seq 0 and prev null go together: only a genesis has them', path: ['prev'] })
  .refine((r) => r.seq !== 0 || r.status === 'active', { message: 'a genesis record is active', path: ['status'] });

export type IdentityRecord = z.output<typeof identityRecordSchema>;
export type UnsignedIdentityRecord = Omit<IdentityRecord, 'sig' | 'publicKeyProof'>;

/** Both identity signatures (`sig` and `publicKeyProof`) cover the record without either of them. */
export function identitySigningInput(record: UnsignedIdentityRecord | IdentityRecord): Uint8Array {
  return signingInput('identity', record, ['sig', 'publicKeyProof']);
}

export function parseIdentityRecord(value: unknown): IdentityRecord {
  return parseRecord(identityRecordSchema, value, IDENTITY_MAX_BYTES, 'identity');
}

/**
 * Checks `sig` under `signer` and `publicKeyProof` under `publicKey`. Both are always verified, so
 * a failure takes the same path whichever one is wrong; either failing is BAD_SIGNATURE.
 */
export async function verifyIdentitySignatures(record: IdentityRecord, verify: VerifySignature): Promise<void> {
  const message = identitySigningInput(record);
  const sigOk = await verify(fromBase64Url(record.signer, 32)!, message, fromBase64Url(record.sig, 64)!);
  const proofOk = await verify(fromBase64Url(record.publicKey, 32)!, message, fromBase64Url(record.publicKeyProof, 64)!);
  if (!sigOk || !proofOk) {
    throw new ProtocolError('BAD_SIGNATURE', !sigOk ? 'sig does not verify under signer' : 'publicKeyProof does not verify under publicKey');
  }
}
