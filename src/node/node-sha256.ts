/**
 * SHA-256 through Node's crypto (OpenSSL's one-shot digest): what the server and the CLI hash
 * with, instead of the pure JavaScript of @noble/hashes (protocol/hash.ts, useSha256).
 * test/unit/node-sha256.test.ts checks it answers as @noble/hashes does.
 */
import { hash } from 'node:crypto';
import { useSha256 } from '../protocol/hash.js';

/** SHA-256 of `data` as a plain Uint8Array (not a Buffer, whose `slice` shares memory). */
export function nodeSha256(data: Uint8Array): Uint8Array {
  const digest = hash('sha256', data, 'buffer');
  return new Uint8Array(digest.buffer, digest.byteOffset, digest.byteLength);
}

/** Makes this process hash with Node's crypto (useSha256). */
export function useNodeSha256(): void {
  useSha256(nodeSha256);
}
