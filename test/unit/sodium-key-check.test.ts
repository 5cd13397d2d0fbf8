// libsodium's key check (src/node/sodium-key-check.ts), which the registry installs in place of
// ed25519KeyDefect's pure JavaScript, must answer exactly as ed25519KeyDefect does: on the shared
// vectors, on every spelling of the small-order points, on non-canonical and off-curve y, on keys
// with a torsion component, and on many pseudo-random 32-byte strings (half of them off the curve,
// most of the rest of mixed order).
import { spawnSync } from 'node:child_process';
import { createHash } from 'node:crypto';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ed25519KeyDefect, isSmallOrderEncoding } from '../../src/protocol/ed25519.js';
import { sodiumKeyCheck } from '../../src/node/sodium-key-check.js';
import { hex, le32, P } from '../helpers/bytes.js';
import { ROOT } from '../helpers/cli.js';
import { loadVectors } from '../vectors/ed25519/cases.js';

let check: (key: Uint8Array) => boolean;
beforeAll(async () => {
  check = await sodiumKeyCheck();
});

const agrees = (key: Uint8Array) => expect([Buffer.from(key).toString('hex'), check(key)]).toEqual([Buffer.from(key).toString('hex'), ed25519KeyDefect(key) === null]);

/** 32 bytes of SHA-256(label ‖ i): reproducible "random" keys. */
const pseudoRandom = (label: string, i: number) => new Uint8Array(createHash('sha256').update(`${label} ${i}`).digest());

describe('libsodium key check', () => {
  it('answers as ed25519KeyDefect on every key of the shared vectors', () => {
    const { valid, invalid } = loadVectors();
    for (const c of [...valid.cases, ...invalid.cases]) agrees(hex(c.publicKey));
  });

  it('refuses every spelling of a small-order point, with either sign bit', () => {
    const spellings = [...ED25519_TORSION_SUBGROUP.map(hex), le32(P), le32(P + 1n), le32(P - 1n), le32(1n), le32(0n)];
    for (const key of spellings) {
      for (const sign of [0, 0x80]) {
        const spelled = Uint8Array.from(key);
        spelled[31]! |= sign;
        expect(isSmallOrderEncoding(spelled) || ed25519KeyDefect(spelled) !== null).toBe(true);
        agrees(spelled);
      }
    }
  });

  it('answers as ed25519KeyDefect for y and y + p, both signs, for small y (on and off the curve)', () => {
    for (let y = 0n; y < 120n; y++) {
      for (const value of [y, y + P]) {
        if (value >= 2n ** 255n) continue;
        for (const sign of [0, 0x80]) {
          const key = le32(value);
          key[31]! |= sign;
          agrees(key);
        }
      }
    }
  });

  it('refuses a valid key plus each torsion point (mixed order), accepts the valid key', () => {
    const base = ed25519.Point.BASE.multiply(123456789n);
    agrees(base.toBytes());
    expect(check(base.toBytes())).toBe(true);
    for (const torsion of ED25519_TORSION_SUBGROUP.slice(1)) {
      const mixed = base.add(ed25519.Point.fromHex(torsion)).toBytes();
      expect(check(mixed)).toBe(false);
      agrees(mixed);
    }
  });

  it('answers as ed25519KeyDefect on 500 pseudo-random strings and 50 real keys', () => {
    for (let i = 0; i < 500; i++) agrees(pseudoRandom('key', i));
    for (let i = 0; i < 50; i++) agrees(ed25519.getPublicKey(pseudoRandom('seed', i)));
  });

  it('refuses wrong lengths', () => {
    expect(check(new Uint8Array(31))).toBe(false);
    expect(check(new Uint8Array(33))).toBe(false);
    expect(check(new Uint8Array(0))).toBe(false);
  });
});

// The module compiles libsodium with V8's optimising tier allowed in a process started with
// --liftoff-only, and must put the flags back: the WebAssembly compiled afterwards (PGlite's,
// Prisma's) stays baseline-only, which is what the option is for (README, Performance: memory).
describe('libsodium compiled with tier-up in a --liftoff-only process', () => {
  it('leaves the modules compiled afterwards baseline-only, and still checks keys', () => {
    // A module of one hot loop (f(x, n): n times x = x * x + 7), called enough for V8 to tier it up if it may.
    const script = `
      const { sodiumKeyCheck } = await import(${JSON.stringify(`${ROOT}dist/node/sodium-key-check.js`)});
      const check = await sodiumKeyCheck();
      const bytes = Uint8Array.from([0,97,115,109,1,0,0,0, 1,7,1,96,2,126,127,1,126, 3,2,1,0, 7,5,1,1,102,0,0,
        10,28,1,26, 0,3,64,32,0,32,0,126,66,7,124,33,0,32,1,65,1,107,34,1,13,0,11,32,0,11]);
      const f = (await WebAssembly.instantiate(bytes)).instance.exports.f;
      for (let i = 0; i < 300; i++) f(3n, 10000);
      await new Promise((resolve) => setTimeout(resolve, 300));
      for (let i = 0; i < 10; i++) f(3n, 10000);
      const base = new Uint8Array(32); base[0] = 0x58; for (let i = 1; i < 32; i++) base[i] = 0x66; // the base point
      console.log(JSON.stringify({ liftoff: %IsLiftoffFunction(f), base: check(base), zero: check(new Uint8Array(32)) }));
    `;
    const run = spawnSync(process.execPath, ['--liftoff-only', '--allow-natives-syntax', '--input-type=module', '-e', script], { encoding: 'utf8' });
    expect(run.stderr).toBe('');
    expect(JSON.parse(run.stdout)).toEqual({ liftoff: true, base: true, zero: false });
  });
});
