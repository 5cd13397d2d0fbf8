import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from '@jest/globals';
import { toBase64Url } from '../../src/protocol/encoding.js';
import {
  IDENTITY_MAX_BYTES,
  MAX_ROTATION_KEYS,
  encodedIdentitySigningInput,
  identitySigningInput,
  parseAndEncodeIdentityRecord,
  parseIdentityRecord,
  verifyEncodedIdentitySignatures,
  verifyIdentitySignatures,
  type IdentityRecord,
} from '../../src/protocol/identity.js';
import { canonicalJson, parseJson } from '../../src/protocol/json.js';
import { canonicalBytes, recordHash, type VerifySignature } from '../../src/protocol/signing.js';
import { createSuccessorRecord } from '../../src/sdk/records.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { P, SMALL_ORDER_ED25519, b64url, le32 } from '../helpers/bytes.js';
import { boxKey, genesis, signingKey } from '../helpers/fixed-identities.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';
import { codeOf } from '../helpers/errors.js';
import { expectWith } from '../helpers/expect-with.js';

const parseCode = (value: unknown) => codeOf(() => parseIdentityRecord(value));

/** A copy of `record` with `changes` applied; a change to undefined deletes the field. */
function edit(record: IdentityRecord, changes: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(record));
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
  }
  return copy;
}

let g: IdentityRecord; // genesis: signing key 1, rotation keys [2, 3], signed by 3, named
let next: IdentityRecord; // seq 1: signed by 2, rotating the signing key to 4

beforeAll(async () => {
  g = await genesis({
    rotationKeys: [signingKey(2).publicKey, signingKey(3).publicKey],
    signer: signingKey(3),
    name: 'Alice',
  });
  next = await createSuccessorRecord({ previous: g, signingKey: signingKey(4), signer: signingKey(2), createdAt: '2026-11-24T21:00:01.000Z' });
}, 120_000);

const KEY_FIELDS = ['publicKey', 'signer'] as const;
const ALL_FIELDS = ['type', 'userId', 'seq', 'prev', 'publicKey', 'publicBoxKey', 'rotationKeys', 'status', 'name', 'createdAt', 'publicKeyProof', 'signer', 'sig'];

describe('parseIdentityRecord: valid records', () => {
  it('accepts a genesis built by createGenesisRecord, unchanged', async () => {
    expect(parseIdentityRecord(g)).toEqual(g);
    const plain = await genesis();
    expect(parseIdentityRecord(plain)).toEqual(plain);
    expect('name' in plain).toBe(false);
  });

  it('accepts a successor built by createSuccessorRecord', () => {
    expect(parseIdentityRecord(next)).toEqual(next);
    expect(next.prev).toBe(recordHash(g));
  });

  it('accepts the record after a trip through JSON text and the strict parser', () => {
    expect(parseIdentityRecord(parseJson(JSON.stringify(g)))).toEqual(g);
  });

  it(`accepts ${MAX_ROTATION_KEYS} distinct rotation keys`, async () => {
    const keys = [2, 3, 4, 5, 6].map((n) => signingKey(n).publicKey);
    expect(await parseCode(edit(g, { rotationKeys: keys }))).toBe('ok');
  });

  it('accepts a revoked successor', async () => {
    expect(await parseCode(edit(next, { status: 'revoked' }))).toBe('ok');
  });

  it('does not check signatures (that is verifyIdentitySignatures)', async () => {
    expect(await parseCode(edit(g, { sig: toBase64Url(new Uint8Array(64)) }))).toBe('ok');
  });
});

describe('parseIdentityRecord: strict shape', () => {
  it('rejects an unknown field', async () => {
    expect(await parseCode(edit(g, { extra: 1 }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { Sig: g.sig }))).toBe('INVALID_RECORD');
  });

  it('rejects an unknown "__proto__" field coming from JSON', async () => {
    const text = JSON.stringify(g).replace(/^\{/, '{"__proto__":{"x":1},');
    expect(await parseCode(parseJson(text))).toBe('INVALID_RECORD');
  });

  it('rejects each missing required field', async () => {
    for (const field of ALL_FIELDS.filter((f) => f !== 'name')) {
      expectWith(await parseCode(edit(g, { [field]: undefined })), field).toBe('INVALID_RECORD');
    }
    expect(await parseCode(edit(g, { name: undefined }))).toBe('ok');
  });

  it('rejects null in place of any field but prev', async () => {
    for (const field of ALL_FIELDS.filter((f) => f !== 'prev')) {
      expectWith(await parseCode(edit(g, { [field]: null })), field).toBe('INVALID_RECORD');
    }
  });

  it('rejects values that are not records at all', async () => {
    for (const value of [null, undefined, 'identity', 42, [], [g]]) expect(await parseCode(value)).toBe('INVALID_RECORD');
  });

  it('rejects wrong types', async () => {
    const wrong: Record<string, unknown>[] = [
      { type: 'device' },
      { type: 'Identity' },
      { userId: g.userId.toUpperCase() },
      { userId: g.userId.slice(1) },
      { seq: '0' },
      { seq: -1 },
      { seq: 0.5 },
      { seq: 2 ** 53 },
      { seq: true },
      { prev: 0 },
      { prev: '' },
      { rotationKeys: g.rotationKeys[0] },
      { rotationKeys: {} },
      { rotationKeys: [1] },
      { status: 'deleted' },
      { status: 'ACTIVE' },
      { name: 5 },
      { name: ['Alice'] },
      { createdAt: Date.parse(g.createdAt) },
      { createdAt: '2026-11-24T21:00:00Z' },
      { createdAt: '2026-02-30T21:00:00.000Z' },
      { publicKey: 42 },
      { sig: 42 },
    ];
    for (const changes of wrong) expectWith(await parseCode(edit(g, changes)), JSON.stringify(changes)).toBe('INVALID_RECORD');
  });
});

describe('parseIdentityRecord: keys, signatures and hashes', () => {
  it('rejects padded base64url', async () => {
    expect(await parseCode(edit(g, { publicKey: `${g.publicKey}=` }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { sig: `${g.sig}==` }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { rotationKeys: [`${g.rotationKeys[0]}=`] }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(next, { prev: `${next.prev}=` }))).toBe('INVALID_RECORD');
  });

  it('rejects the standard base64 alphabet', async () => {
    const key = signingKey(2).publicKey;
    expect(key).toMatch(/[-_]/); // precondition: this key has characters that differ between the alphabets
    const std = key.replaceAll('-', '+').replaceAll('_', '/');
    expect(await parseCode(edit(g, { publicKey: std, rotationKeys: [std] }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { signer: std }))).toBe('INVALID_RECORD');
  });

  it('rejects non-canonical trailing bits in a key and in a signature', async () => {
    // 32 bytes take 43 characters; the last one carries 4 bits and 2 zero bits. Setting a zero bit
    // gives a second spelling of almost the same bytes, which must not be accepted.
    const flipLowBit = (text: string) => {
      const alphabet = 'ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_';
      const last = alphabet.indexOf(text.at(-1)!);
      return text.slice(0, -1) + alphabet[last ^ 1];
    };
    expect(await parseCode(edit(g, { publicKey: flipLowBit(g.publicKey) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { sig: flipLowBit(g.sig) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(next, { prev: flipLowBit(next.prev!) }))).toBe('INVALID_RECORD');
  });

  it('rejects wrong byte lengths', async () => {
    const short = b64url(nacl.randomBytes(31));
    const long = b64url(nacl.randomBytes(33));
    for (const field of [...KEY_FIELDS, 'publicBoxKey']) {
      expectWith(await parseCode(edit(g, { [field]: short })), field).toBe('INVALID_RECORD');
      expectWith(await parseCode(edit(g, { [field]: long })), field).toBe('INVALID_RECORD');
    }
    expect(await parseCode(edit(g, { sig: b64url(nacl.randomBytes(63)) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { publicKeyProof: b64url(nacl.randomBytes(65)) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(next, { prev: short }))).toBe('INVALID_RECORD');
  });

  it('rejects a small-order key in publicKey, rotationKeys or signer', async () => {
    for (const point of SMALL_ORDER_ED25519) {
      const key = b64url(point);
      expect(await parseCode(edit(g, { publicKey: key }))).toBe('INVALID_RECORD');
      expect(await parseCode(edit(g, { signer: key }))).toBe('INVALID_RECORD');
      expect(await parseCode(edit(g, { rotationKeys: [key] }))).toBe('INVALID_RECORD');
      expect(await parseCode(edit(g, { rotationKeys: [...g.rotationKeys, key] }))).toBe('INVALID_RECORD');
    }
  });

  it('rejects an Ed25519 key that is not a curve point, or not canonical', async () => {
    const notOnCurve = b64url(le32(2n)); // y = 2 has no x
    const nonCanonical = b64url(le32(3n + P)); // y = 3 + p >= p
    for (const key of [notOnCurve, nonCanonical]) {
      expect(await parseCode(edit(g, { publicKey: key }))).toBe('INVALID_RECORD');
      expect(await parseCode(edit(g, { signer: key }))).toBe('INVALID_RECORD');
      expect(await parseCode(edit(g, { rotationKeys: [key] }))).toBe('INVALID_RECORD');
    }
  });

  it('rejects a bad box key: low order or u >= p', async () => {
    for (const u of [0n, 1n, P - 1n, P, P + 1n, 2n ** 256n - 1n]) {
      expectWith(await parseCode(edit(g, { publicBoxKey: b64url(le32(u)) })), String(u)).toBe('INVALID_RECORD');
    }
    expect(await parseCode(edit(g, { publicBoxKey: boxKey(2).publicKey }))).toBe('ok');
  });
});

describe('parseIdentityRecord: rotation keys', () => {
  it('rejects 0 and 6 rotation keys', async () => {
    expect(await parseCode(edit(g, { rotationKeys: [] }))).toBe('INVALID_RECORD');
    const six = [2, 3, 4, 5, 6, 7].map((n) => signingKey(n).publicKey);
    expect(await parseCode(edit(g, { rotationKeys: six }))).toBe('INVALID_RECORD');
  });

  it('rejects duplicate rotation keys', async () => {
    const key = signingKey(2).publicKey;
    expect(await parseCode(edit(g, { rotationKeys: [key, key] }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { rotationKeys: [key, signingKey(3).publicKey, key] }))).toBe('INVALID_RECORD');
  });
});

describe('parseIdentityRecord: name', () => {
  it('counts code points: 64 are allowed, 65 are not', async () => {
    expect(await parseCode(edit(g, { name: 'a'.repeat(64) }))).toBe('ok');
    expect(await parseCode(edit(g, { name: 'a'.repeat(65) }))).toBe('INVALID_RECORD');
    // 64 emoji are 128 UTF-16 code units but 64 code points.
    expect(await parseCode(edit(g, { name: '😀'.repeat(64) }))).toBe('ok');
    expect(await parseCode(edit(g, { name: '😀'.repeat(65) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(g, { name: `${'😀'.repeat(63)}a` }))).toBe('ok');
    expect(await parseCode(edit(g, { name: `${'😀'.repeat(64)}a` }))).toBe('INVALID_RECORD');
  });

  it('rejects an empty name (omit the field instead)', async () => {
    expect(await parseCode(edit(g, { name: '' }))).toBe('INVALID_RECORD');
  });

  it('rejects control characters and line separators', async () => {
    for (const c of ['\n', '\r', '\t', '\u0000', '\u001b', '\u007f', '\u0085', '\u009f', '\u2028', '\u2029']) {
      expectWith(await parseCode(edit(g, { name: `Ali${c}ce` })), JSON.stringify(c)).toBe('INVALID_RECORD');
    }
  });

  it('allows spaces, punctuation and non-Latin scripts', async () => {
    for (const name of ['Alice Smith', "O'Brien-Ñúñez", '李小龍', 'Zoë 😀']) expect(await parseCode(edit(g, { name }))).toBe('ok');
  });
});

describe('parseIdentityRecord: genesis shape', () => {
  it('rejects seq 0 with a non-null prev', async () => {
    expect(await parseCode(edit(g, { prev: recordHash(g) }))).toBe('INVALID_RECORD');
  });

  it('rejects seq 1 with a null prev', async () => {
    expect(await parseCode(edit(next, { prev: null }))).toBe('INVALID_RECORD');
  });

  it('rejects a genesis with status revoked', async () => {
    expect(await parseCode(edit(g, { status: 'revoked' }))).toBe('INVALID_RECORD');
  });
});

describe('parseIdentityRecord: size', () => {
  it(`cannot reach the ${IDENTITY_MAX_BYTES}-byte limit: the largest schema-valid record is far smaller`, async () => {
    // Every field has a fixed or capped length: 5 keys, a 64-code-point name of 4-byte
    // characters, the largest safe seq, the longer status. The limit is a backstop only;
    // records.test.ts checks that parseRecord enforces a limit when one can be reached.
    const largest = edit(next, {
      seq: Number.MAX_SAFE_INTEGER,
      rotationKeys: [2, 3, 4, 5, 6].map((n) => signingKey(n).publicKey),
      status: 'revoked',
      name: '😀'.repeat(64),
    });
    const size = canonicalBytes(largest).length;
    expect(size).toBeLessThan(IDENTITY_MAX_BYTES / 3);
    expect(await parseCode(largest)).toBe('ok');
  });
});

describe('encodedIdentitySigningInput and verifyEncodedIdentitySignatures (the registry\'s: the input cut out of the canonical JSON)', () => {
  it('is identitySigningInput, for names that spell the signature members', () => {
    // (A name holds at most 64 characters, too few for a whole `"sig":"…"` member: the unit test of signingInputFromCanonical has those.)
    for (const name of [undefined, 'Alice', '"sig":"', ',"publicKeyProof":"', g.sig.slice(0, 64), '","sig":"x"}', '}{,"\\']) {
      const record = name === undefined ? g : { ...g, name };
      const encoded = parseAndEncodeIdentityRecord(record);
      expect(encodedIdentitySigningInput(encoded)).toEqual(identitySigningInput(encoded.record));
    }
  });

  it('verifies what it parsed: the input object and its rotationKeys changed afterwards change neither the record nor its canonical JSON', async () => {
    const given = edit(g, {}) as unknown as IdentityRecord;
    const encoded = parseAndEncodeIdentityRecord(given);
    expect(encoded.record).not.toBe(given);
    expect(encoded.record.rotationKeys).not.toBe(given.rotationKeys);
    given.rotationKeys.push(signingKey(5).publicKey);
    given.name = 'Mallory';
    expect(encoded.record).toEqual(g);
    expect(canonicalJson(encoded.record)).toBe(encoded.canonical);
    expect(encodedIdentitySigningInput(encoded)).toEqual(identitySigningInput(g));
    await verifyEncodedIdentitySignatures(encoded, nodeVerify);
  });

  it('passes for good records and fails with BAD_SIGNATURE for swapped or altered ones', async () => {
    await verifyEncodedIdentitySignatures(parseAndEncodeIdentityRecord(g), nodeVerify);
    await verifyEncodedIdentitySignatures(parseAndEncodeIdentityRecord(next), nodeVerify);
    for (const bad of [{ ...g, publicKeyProof: g.sig, sig: g.publicKeyProof }, { ...g, name: 'Mallory' }, { ...next, sig: g.sig }]) {
      expectWith(await codeOf(() => verifyEncodedIdentitySignatures(parseAndEncodeIdentityRecord(bad), nodeVerify)), JSON.stringify(bad)).toBe('BAD_SIGNATURE');
    }
  });
});

describe('verifyIdentitySignatures', () => {
  const verifiers: [string, VerifySignature][] = [
    ['tweetnacl', naclVerify],
    ['node', nodeVerify],
  ];

  for (const [name, verify] of verifiers) {
    describe(`with the ${name} verifier`, () => {
      it('passes for good records', async () => {
        await verifyIdentitySignatures(g, verify);
        await verifyIdentitySignatures(next, verify);
        await verifyIdentitySignatures(await genesis(), verify);
      });

      it('fails with BAD_SIGNATURE when sig was made by another key', async () => {
        const other = toBase64Url(nacl.sign.detached(identitySigningInput(g), signingKey(2).secretKey));
        expect(g.signer).not.toBe(signingKey(2).publicKey);
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, sig: other }, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE when signer names another key than the one that signed', async () => {
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, signer: signingKey(2).publicKey }, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE when publicKeyProof is wrong', async () => {
        const byOther = toBase64Url(nacl.sign.detached(identitySigningInput(g), signingKey(5).secretKey));
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, publicKeyProof: byOther }, verify))).toBe('BAD_SIGNATURE');
        // The rotation key's signature in the proof's place: a valid signature, by the wrong key.
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, publicKeyProof: g.sig }, verify))).toBe('BAD_SIGNATURE');
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, publicKeyProof: g.sig, sig: g.publicKeyProof }, verify))).toBe('BAD_SIGNATURE');
        // A proof from the previous record (same key, other message).
        const again = await createSuccessorRecord({ previous: next, signingKey: signingKey(4), signer: signingKey(2), createdAt: '2026-11-24T21:00:02.000Z' });
        expect(await codeOf(() => verifyIdentitySignatures({ ...again, publicKeyProof: next.publicKeyProof }, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE when any signed field changed after signing', async () => {
        const changes: Partial<IdentityRecord>[] = [
          { userId: '0000000000bbbbbbbbbbbbbbb' },
          { seq: 2 },
          { prev: recordHash(next) },
          { publicKey: signingKey(5).publicKey },
          { publicBoxKey: boxKey(2).publicKey },
          { rotationKeys: [...g.rotationKeys].reverse() }, // same keys, other order: strength changed
          { rotationKeys: [g.rotationKeys[0]!] },
          { status: 'revoked' },
          { name: 'Mallory' },
          { name: 'Alice ' },
          { createdAt: '2026-11-24T21:00:00.001Z' },
        ];
        for (const change of changes) {
          expectWith(await codeOf(() => verifyIdentitySignatures({ ...g, ...change }, verify)), JSON.stringify(change)).toBe('BAD_SIGNATURE');
        }
        const { name: _, ...unnamed } = g;
        expect(await codeOf(() => verifyIdentitySignatures(unnamed, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE for a signature over the same record with another domain prefix', async () => {
        const device = new TextEncoder().encode('peerkeys:v1:device\n');
        const input = identitySigningInput(g);
        const prefix = new TextEncoder().encode('peerkeys:v1:identity\n');
        const relabelled = new Uint8Array([...device, ...input.subarray(prefix.length)]);
        const sig = toBase64Url(nacl.sign.detached(relabelled, signingKey(3).secretKey));
        const publicKeyProof = toBase64Url(nacl.sign.detached(relabelled, signingKey(1).secretKey));
        expect(await codeOf(() => verifyIdentitySignatures({ ...g, sig, publicKeyProof }, verify))).toBe('BAD_SIGNATURE');
      });
    });
  }

  it('always checks both signatures, whichever fails', async () => {
    let calls = 0;
    const failFirst: VerifySignature = () => {
      calls++;
      return calls !== 1;
    };
    expect(await codeOf(() => verifyIdentitySignatures(g, failFirst))).toBe('BAD_SIGNATURE');
    expect(calls).toBe(2);
  });

  it('starts both verifications before either answers, so a thread pool runs them together', async () => {
    const answers: Array<(valid: boolean) => void> = [];
    const pending: VerifySignature = () => new Promise<boolean>((resolve) => answers.push(resolve));
    const verified = codeOf(() => verifyIdentitySignatures(g, pending));
    await new Promise((resolve) => setImmediate(resolve));
    expect(answers).toHaveLength(2);
    answers[1]!(true);
    answers[0]!(false);
    expect(await verified).toBe('BAD_SIGNATURE');
  });

  it('checks sig under signer and publicKeyProof under publicKey', async () => {
    const seen: string[] = [];
    const record: VerifySignature = (publicKey, _message, signature) => {
      seen.push(`${toBase64Url(publicKey)} ${toBase64Url(signature)}`);
      return true;
    };
    await verifyIdentitySignatures(g, record);
    expect(seen.sort()).toEqual([`${g.signer} ${g.sig}`, `${g.publicKey} ${g.publicKeyProof}`].sort());
  });

  it('accepts an async verifier', async () => {
    await verifyIdentitySignatures(g, async (...args) => naclVerify(...args));
    expect(await codeOf(() => verifyIdentitySignatures({ ...g, seq: 1 }, async (...args) => naclVerify(...args)))).toBe('BAD_SIGNATURE');
  });
});
