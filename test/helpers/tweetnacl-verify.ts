/**
 * A verifier built on tweetnacl alone, as a browser client would have it. Wrong lengths answer false
 * (tweetnacl throws on them), so it keeps the VerifySignature contract of never throwing.
 * It deliberately does NOT add the S < L check: tests that need that check call hasCanonicalScalar.
 */
import nacl from 'tweetnacl';
import type { VerifySignature } from '../../src/protocol/signing.js';

export const naclVerify: VerifySignature = (publicKey, message, signature) =>
  publicKey.length === 32 && signature.length === 64 && nacl.sign.detached.verify(message, signature, publicKey);
