/** Small byte helpers for tests, written independently of src/protocol/encoding.ts. */
import { ED25519_TORSION_SUBGROUP } from '@noble/curves/ed25519.js';

export function hex(text: string): Uint8Array {
  return new Uint8Array(Buffer.from(text, 'hex'));
}

/** base64url without padding, through Node's Buffer (an oracle independent of the code under test). */
export function b64url(bytes: Uint8Array): string {
  return Buffer.from(bytes).toString('base64url');
}

/** A non-negative integer as 32 little-endian bytes (how Ed25519 y and X25519 u are encoded). */
export function le32(value: bigint): Uint8Array {
  const out = new Uint8Array(32);
  let rest = value;
  for (let i = 0; i < 32; i++) {
    out[i] = Number(rest & 0xffn);
    rest >>= 8n;
  }
  if (rest !== 0n) throw new RangeError('value does not fit in 32 bytes');
  return out;
}

export function fromLe(bytes: Uint8Array): bigint {
  let value = 0n;
  for (let i = bytes.length - 1; i >= 0; i--) value = (value << 8n) | BigInt(bytes[i]!);
  return value;
}

/** The field prime of Curve25519 / edwards25519. */
export const P = 2n ** 255n - 19n;

/** The order L of the Ed25519 base point (RFC 8032 §5.1). */
export const L = 2n ** 252n + 27742317777372353535851937790883648493n;

/** The canonical encodings of the 8 points of the Ed25519 torsion subgroup (small order), from @noble/curves. */
export const SMALL_ORDER_ED25519: readonly Uint8Array[] = ED25519_TORSION_SUBGROUP.map(hex);
