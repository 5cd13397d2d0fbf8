/**
 * The key check of DESIGN.md §1 through libsodium (compiled to WebAssembly): canonical encoding, on
 * the curve, not of small order, in the prime-order subgroup — what crypto_core_ed25519_is_valid_point
 * checks (libsodium ≥ 1.0.18: its small-order list ignores the sign bit, so it refuses the x = 0
 * spellings that protocol/ed25519.ts refuses as non-canonical or small-order too). About 0.08–0.15 ms a
 * key at V8's optimising tier (0.26–0.30 ms at the baseline tier, see BASELINE_ONLY) against 1.1 ms for @noble/curves' scalar multiplication by L, and every create or rotation
 * brings new keys. test/unit/sodium-key-check.test.ts checks it answers as ed25519KeyDefect does.
 * Server-side only: the SDK and the page keep the pure-JavaScript check.
 */
import { setFlagsFromString } from 'node:v8';
import { useEd25519KeyCheck } from '../protocol/ed25519.js';

type Sodium = typeof import('libsodium-wrappers-sumo').default;

/**
 * `npm start`, the Docker image and the test runs give Node `--liftoff-only`, so that V8 compiles the
 * big WebAssembly modules (PGlite, Prisma's query compiler) once with its baseline compiler and never
 * again (README, Performance: memory). libsodium's field arithmetic run by that baseline compiler
 * takes twice the time it takes optimised: measured 0.26 against 0.12 ms a key check on a busy
 * 2-core machine, the largest share of a write's CPU (two new keys a write, more than its two
 * signature verifications). So libsodium's module alone is compiled with the optimising tier
 * allowed: V8 decides a function's tiers when it compiles it — the whole module at once on Node 20,
 * each function at its first call on Node 22 and 24 — so the flags are switched while the module is
 * compiled and the key check first runs, and put back at once; a module compiled afterwards is
 * baseline-only again (both checked with V8's %IsLiftoffFunction on Node 20, 22 and 24). Were V8 to ignore the switch, libsodium
 * would run at the baseline speed, with the same answers.
 */
const BASELINE_ONLY = process.execArgv.includes('--liftoff-only');

/** One key down each of the check's paths: the base point (valid), an off-curve y, y = 1 (of small order) and y = p (not canonical). */
const WARM_UP_KEYS = [
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x58 : 0x66)),
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x02 : 0)),
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0x01 : 0)),
  Uint8Array.from({ length: 32 }, (_, i) => (i === 0 ? 0xed : i === 31 ? 0x7f : 0xff)),
];

let loaded: Promise<Sodium> | null = null;

/** libsodium, its WebAssembly compiled once per process (with tier-up allowed, see BASELINE_ONLY). */
function loadSodium(): Promise<Sodium> {
  loaded ??= (async () => {
    if (BASELINE_ONLY) setFlagsFromString('--no-liftoff-only --wasm-tier-up --wasm-dynamic-tiering');
    try {
      // Imported here, not at the top: libsodium compiles its module when it is first imported.
      const sodium = (await import('libsodium-wrappers-sumo')).default;
      await sodium.ready;
      // Newer V8 (Node 22, 24) compiles WebAssembly functions lazily, on their first call, and fixes
      // their tiers then: the key check's functions must first run inside the window.
      for (const key of WARM_UP_KEYS) sodium.crypto_core_ed25519_is_valid_point(key);
      return sodium;
    } finally {
      if (BASELINE_ONLY) setFlagsFromString('--liftoff-only --no-wasm-tier-up --no-wasm-dynamic-tiering');
    }
  })();
  return loaded;
}

/** libsodium's key check, once its WebAssembly module is ready: true exactly when ed25519KeyDefect(key) is null. */
export async function sodiumKeyCheck(): Promise<(key: Uint8Array) => boolean> {
  const sodium = await loadSodium();
  return (key) => key.length === 32 && sodium.crypto_core_ed25519_is_valid_point(key);
}

/** Makes this process check the keys it meets with libsodium (useEd25519KeyCheck). */
export async function useSodiumKeyCheck(): Promise<void> {
  useEd25519KeyCheck(await sodiumKeyCheck());
}
