/** SHA-256, synchronous and browser-safe (the protocol's only hash, DESIGN.md §1). */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

/** SHA-256("abc") (FIPS 180-2, appendix B.1): what a replacement must answer before it is used. */
const ABC = new Uint8Array([0x61, 0x62, 0x63]);
const ABC_DIGEST = Uint8Array.from(
  'ba7816bf8f01cfea414140de5dae2223b00361a396177a9cb410ff61f20015ad'.match(/../g)!,
  (hex) => parseInt(hex, 16),
);

let implementation: (data: Uint8Array) => Uint8Array = nobleSha256;

export function sha256(data: Uint8Array): Uint8Array {
  return implementation(data);
}

/**
 * Makes sha256 run `hash`, which must compute SHA-256 and return a new Uint8Array of its 32 bytes
 * (src/node/node-sha256.ts: Node's OpenSSL, measured 1.5 times as fast as @noble/hashes on a 65-byte
 * map node and 5 times on a 700-byte record, and for inputs of up to 128 bytes a lean JavaScript
 * SHA-256 faster still — a write hashes its record, its leaf, a path of the key map and the tree's
 * new nodes). Process-wide, like useEd25519KeyCheck; browsers and the SDK
 * keep @noble/hashes. Throws, leaving sha256 as it was, unless `hash` answers a known-answer test:
 * SHA-256("abc") as a 32-byte Uint8Array — every record, leaf and map node is hashed with it.
 */
export function useSha256(hash: (data: Uint8Array) => Uint8Array): void {
  const digest: unknown = hash(ABC.slice());
  if (!(digest instanceof Uint8Array) || digest.length !== 32 || !digest.every((byte, i) => byte === ABC_DIGEST[i])) {
    throw new Error('useSha256: the function does not compute SHA-256 (its digest of "abc" is not the FIPS 180-2 answer)');
  }
  implementation = hash;
}
