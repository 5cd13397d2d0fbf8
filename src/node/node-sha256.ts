/**
 * SHA-256 through Node's crypto (OpenSSL's one-shot digest), or for short inputs short-sha256.ts:
 * what the server and the CLI hash with, instead of the pure JavaScript of @noble/hashes
 * (protocol/hash.ts, useSha256).
 * test/unit/node-sha256.test.ts checks it answers as @noble/hashes does.
 */
import { hash } from 'node:crypto';
import { useSha256 } from '../protocol/hash.js';
import { shortSha256 } from './short-sha256.js';

/**
 * The longest input hashed in JavaScript (short-sha256.ts) rather than by OpenSSL. OpenSSL's
 * fixed cost per call is larger than the hashing up to about 200 bytes. 128 leaves room over
 * the inputs this is for: every Merkle node (65 bytes), key map node (84) and leaf (101), and key
 * path. Every record and log leaf (over 200) still goes to OpenSSL.
 */
const SHORT_INPUT = 128;

/** SHA-256 of `data` as a plain Uint8Array (not a Buffer, whose `slice` shares memory). */
export function nodeSha256(data: Uint8Array): Uint8Array {
  if (data.length <= SHORT_INPUT) return shortSha256(data);
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Makes this process hash with Node's crypto (useSha256). */
export function useNodeSha256(): void {
  useSha256(nodeSha256);
}
