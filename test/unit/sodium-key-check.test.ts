// libsodium's key check (src/node/sodium-key-check.ts), which the registry installs in place of
// ed25519KeyDefect's pure JavaScript, must answer exactly as ed25519KeyDefect does: on the shared
// vectors, on every spelling of the small-order points, on non-canonical and off-curve y, on keys
// with a torsion component, and on many pseudo-random 32-byte strings (half of them off the curve,
// most of the rest of mixed order).
import { createHash } from 'node:crypto';
import { ED25519_TORSION_SUBGROUP, ed25519 } from '@noble/curves/ed25519.js';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { ed25519KeyDefect, isSmallOrderEncoding } from '../../src/protocol/ed25519.js';
import { sodiumKeyCheck } from '../../src/node/sodium-key-check.js';
import { hex, le32, P } from '../helpers/bytes.js';
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
