/** SHA-256, synchronous and browser-safe (the protocol's only hash, DESIGN.md §1). */
import { sha256 as nobleSha256 } from '@noble/hashes/sha2.js';

export function sha256(data: Uint8Array): Uint8Array {
  return nobleSha256(data);
}
