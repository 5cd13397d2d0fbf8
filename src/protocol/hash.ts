/** SHA-256, synchronous and browser-safe (the protocol's only hash, DESIGN.md §1). */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

let implementation: (data: Uint8Array) => Uint8Array = nobleSha256;

export function sha256(data: Uint8Array): Uint8Array {
  return implementation(data);
}

/**
 * Makes sha256 run `hash`, which must compute SHA-256 and return a new Uint8Array of its 32 bytes
 * (src/node/node-sha256.ts: Node's OpenSSL, measured 1.5 times as fast as @noble/hashes on a 65-byte
 * map node and 5 times on a 700-byte record — a write hashes its record, its leaf, a path of the
 * key map and the tree's new nodes). Process-wide, like useEd25519KeyCheck; browsers and the SDK
 * keep @noble/hashes.
 */
export function useSha256(hash: (data: Uint8Array) => Uint8Array): void {
  implementation = hash;
}
