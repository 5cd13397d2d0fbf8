/**
 * The key check of DESIGN.md §1 through libsodium (compiled to WebAssembly): canonical encoding, on
 * the curve, not of small order, in the prime-order subgroup — what crypto_core_ed25519_is_valid_point
 * checks (libsodium ≥ 1.0.18: its small-order list ignores the sign bit, so it refuses the x = 0
 * spellings that protocol/ed25519.ts refuses as non-canonical or small-order too). About 0.08 ms a
 * key against 1.1 ms for @noble/curves' scalar multiplication by L, and every create or rotation
 * brings new keys. test/unit/sodium-key-check.test.ts checks it answers as ed25519KeyDefect does.
 * Server-side only: the SDK and the page keep the pure-JavaScript check.
 */
import sodium from 'libsodium-wrappers-sumo';
import { useEd25519KeyCheck } from '../protocol/ed25519.js';

/** libsodium's key check, once its WebAssembly module is ready: true exactly when ed25519KeyDefect(key) is null. */
export async function sodiumKeyCheck(): Promise<(key: Uint8Array) => boolean> {
  await sodium.ready;
  return (key) => key.length === 32 && sodium.crypto_core_ed25519_is_valid_point(key);
}

/** Makes this process check the keys it meets with libsodium (useEd25519KeyCheck). */
export async function useSodiumKeyCheck(): Promise<void> {
  useEd25519KeyCheck(await sodiumKeyCheck());
}
