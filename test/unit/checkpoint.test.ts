import { createHash } from 'node:crypto';
import { readFileSync } from 'node:fs';
import fc from 'fast-check';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import {
  decodeNote,
  formatCheckpointText,
  formatVerifierKey,
  isValidKeyName,
  noteKey,
  noteKeyId,
  parseCheckpointNote,
  parseCheckpointText,
  splitCheckpointText,
  isRegistryCheckpoint,
  parseSignedNote,
  parseVerifierKey,
  signCheckpoint,
  verifyCheckpointNote,
  openCheckpointNote,
  type Checkpoint,
  type NoteKey,
} from '../../src/protocol/checkpoint.js';
import { toBase64, toHex, utf8 } from '../../src/protocol/encoding.js';
import type { SignMessage } from '../../src/protocol/signing.js';
import { publicKeyBytes, signerFor, signingKeyPairFromSeed, type SigningKeyPair } from '../../src/sdk/keys.js';
import { nodeSigner, nodeVerify } from '../../src/node/node-ed25519.js';
import { hex } from '../helpers/bytes.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';
import { expectWith } from '../helpers/expect-with.js';

const ORIGIN = 'example.org/peerkeys';
/** RFC 8032 §7.1 TEST 1: a fixed key, so the note bytes below are fixed too (Ed25519 is deterministic). */
const RFC8032_SEED = hex('9d61b19deffd5a60ba844af492ec2cc44449c5697b326919703bac031cae7f60');
const logKey: SigningKeyPair = signingKeyPairFromSeed(RFC8032_SEED);
const key: NoteKey = noteKey(ORIGIN, publicKeyBytes(logKey));
const sign: SignMessage = signerFor(logKey);
const otherKey = signingKeyPairFromSeed(new Uint8Array(32).fill(9));

const checkpoint: Checkpoint = { origin: ORIGIN, size: 12345, root: Uint8Array.from({ length: 32 }, (_, i) => i) };

/**
 * The expected note, computed outside this project with Node's crypto (OpenSSL Ed25519,
 * SHA-256 and Buffer base64) by the recipe of c2sp.org/tlog-checkpoint and c2sp.org/signed-note.
 * The same recipe reproduces the signed-note example of golang.org/x/mod/sumdb/note (below).
 */
const EXPECTED_NOTE =
  'example.org/peerkeys\n12345\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n\n' +
  '\u2014 example.org/peerkeys zk0GEleNy77/ZcyCOM0KdaCG7sv+SvGnrGGjAlyqHfyAW7GuM6lu2nLuTowS5MTZSB4gFte26+4Y4G3zzPfV2G6l6w0=\n';
const EXPECTED_VKEY = 'example.org/peerkeys+ce4d0612+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';

/** The Go sumdb/note package's documented example (golang.org/x/mod/sumdb/note, note.go). */
const GO = {
  signerKey: 'PRIVATE+KEY+PeterNeumann+c74f20a3+AYEKFALVFGyNhPJEMzD1QIDr+Y7hfZx09iUvxdXHKDFz',
  verifierKey: 'PeterNeumann+c74f20a3+ARpc2QcUPDhMQegwxbzhKqiBfsVkmqq/LDE4izWy10TW',
  text: "If you think cryptography is the answer to your problem,\nthen you don't know what your problem is.\n",
  signatureLine: '\u2014 PeterNeumann x08go/ZJkuBS9UG/SffcvIAQxVBtiFupLLr8pAcElZInNIuGUgYN1FFYC2pZSNXgKvqfqdngotpRZb6KE6RyyBwJnAM=\n',
};

/** A signature line for `name` with `keyId` over `text`, made by `secretKey`. */
function signatureLine(name: string, keyId: Uint8Array, text: string, secretKey: Uint8Array): string {
  const signature = nacl.sign.detached(utf8(text), secretKey);
  return `\u2014 ${name} ${toBase64(new Uint8Array([...keyId, ...signature]))}\n`;
}

const verifyNote = (note: string, pinned: NoteKey = key) => verifyCheckpointNote(note, pinned, naclVerify);

describe('noteKeyId', () => {
  it('is SHA-256(name || "\\n" || 0x01 || public key)[:4]', () => {
    const expected = createHash('sha256')
      .update(Buffer.concat([Buffer.from(`${ORIGIN}\n`), Buffer.from([0x01]), Buffer.from(publicKeyBytes(logKey))]))
      .digest()
      .subarray(0, 4);
    expect(noteKeyId(ORIGIN, publicKeyBytes(logKey))).toEqual(new Uint8Array(expected));
    expect(toHex(key.keyId)).toBe('ce4d0612');
  });

  it('matches the Go sumdb/note example key', () => {
    const seed = new Uint8Array(Buffer.from(GO.signerKey.split('+').slice(4).join('+'), 'base64')).subarray(1);
    const peter = signingKeyPairFromSeed(seed);
    expect(toHex(noteKeyId('PeterNeumann', publicKeyBytes(peter)))).toBe('c74f20a3');
  });
});

describe('formatVerifierKey and parseVerifierKey', () => {
  it('formats the fixed key as expected', () => {
    expect(formatVerifierKey(key)).toBe(EXPECTED_VKEY);
  });

  it('parses verifier keys published by other implementations', () => {
    // From golang.org/x/mod sumdb/note tests, and transparency-dev/formats (whose base64 contains '+').
    for (const [vkey, name] of [
      [GO.verifierKey, 'PeterNeumann'],
      ['EnochRoot+af0cfe78+ATtqJ7zOtqQtYqOo0CpvDXNlMhV3HeJDpjrASKGLWdop', 'EnochRoot'],
      ['TEST+7997405c+AQcC+FTVKf0jlTdHDY3rbevmnKxxPjigCXlVtGe6RIr6', 'TEST'],
      [EXPECTED_VKEY, ORIGIN],
    ] as const) {
      const parsed = parseVerifierKey(vkey);
      expectWith(parsed, vkey).not.toBeNull();
      expect(parsed!.name).toBe(name);
      expect(formatVerifierKey(parsed!)).toBe(vkey);
    }
  });

  it('round-trips any valid Ed25519 key and valid name, and refuses small-order keys', () => {
    const name = fc.string({ unit: 'grapheme', minLength: 1, maxLength: 20 }).filter(isValidKeyName);
    fc.assert(
      fc.property(name, fc.uint8Array({ minLength: 32, maxLength: 32 }), (keyName, seed) => {
        const publicKey = nacl.sign.keyPair.fromSeed(seed).publicKey;
        const original = noteKey(keyName, publicKey);
        const parsed = parseVerifierKey(formatVerifierKey(original));
        expect(parsed).toEqual(original);
      }),
      { numRuns: 300 },
    );
    expect(parseVerifierKey(formatVerifierKey(noteKey('example.org/log', new Uint8Array(32))))).toBeNull();
  });

  it('rejects a wrong key id', () => {
    const keyText = toBase64(new Uint8Array([0x01, ...publicKeyBytes(logKey)]));
    expect(parseVerifierKey(`${ORIGIN}+ce4d0612+${keyText}`)).not.toBeNull();
    for (const id of ['ce4d0613', '00000000', 'CE4D0612', 'ce4d061', 'ce4d06120', '']) {
      expectWith(parseVerifierKey(`${ORIGIN}+${id}+${keyText}`), id).toBeNull();
    }
  });

  it('rejects a wrong algorithm byte', () => {
    const body = new Uint8Array([0x02, ...publicKeyBytes(logKey)]);
    const id = createHash('sha256').update(Buffer.concat([Buffer.from(`${ORIGIN}\n`), Buffer.from(body)])).digest().subarray(0, 4);
    expect(parseVerifierKey(`${ORIGIN}+${Buffer.from(id).toString('hex')}+${toBase64(body)}`)).toBeNull();
  });

  it('rejects a key that is not 32 bytes, or not standard base64', () => {
    const body = new Uint8Array([0x01, ...publicKeyBytes(logKey)]);
    const id = toHex(key.keyId);
    const short = new Uint8Array([0x01, ...publicKeyBytes(logKey).subarray(1)]);
    expect(parseVerifierKey(`${ORIGIN}+${toHex(noteKeyId(ORIGIN, short.subarray(1)))}+${toBase64(short)}`)).toBeNull();
    expect(parseVerifierKey(`${ORIGIN}+${id}+${toBase64(new Uint8Array([...body, 0]))}`)).toBeNull();
    expect(parseVerifierKey(`${ORIGIN}+${id}+${Buffer.from(body).toString('base64url')}`)).toBeNull(); // '-' for '+'
    expect(parseVerifierKey(`${ORIGIN}+${id}+${toBase64(body)}=`)).toBeNull();
    expect(parseVerifierKey(`${ORIGIN}+${id}+${toBase64(body)}+`)).toBeNull();
  });

  it("rejects a name containing '+' or whitespace, and an empty name", () => {
    for (const name of ['example+org', 'example org', 'example\torg', '']) {
      const vkey = `${name}+${toHex(noteKeyId(name, publicKeyBytes(logKey)))}+${toBase64(new Uint8Array([1, ...publicKeyBytes(logKey)]))}`;
      expectWith(parseVerifierKey(vkey), JSON.stringify(name)).toBeNull();
    }
  });

  it('rejects strings with missing parts', () => {
    for (const text of ['', ORIGIN, `${ORIGIN}+ce4d0612`, `${ORIGIN}+ce4d0612+`, `+ce4d0612+${toBase64(new Uint8Array([1, ...publicKeyBytes(logKey)]))}`]) {
      expectWith(parseVerifierKey(text), text).toBeNull();
    }
  });
});

describe('isValidKeyName', () => {
  it('accepts non-empty names without whitespace or "+"', () => {
    for (const name of [ORIGIN, 'PeterNeumann', 'a', 'log.example/é']) expect(isValidKeyName(name)).toBe(true);
    for (const name of ['', 'a b', 'a+b', 'a\nb', 'a\u00a0b', 'a\u2003b']) expectWith(isValidKeyName(name), JSON.stringify(name)).toBe(false);
  });
});

describe('formatCheckpointText and parseCheckpointText', () => {
  it('formats origin, size and the standard base64 root, each on its own line', () => {
    expect(formatCheckpointText(checkpoint)).toBe('example.org/peerkeys\n12345\nAAECAwQFBgcICQoLDA0ODxAREhMUFRYXGBkaGxwdHh8=\n');
  });

  it('round-trips', () => {
    fc.assert(
      fc.property(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), (size, root) => {
        expect(parseCheckpointText(formatCheckpointText({ origin: ORIGIN, size, root }))).toEqual({ origin: ORIGIN, size, root });
      }),
    );
  });

  it('formats and parses the map root and time lines the registry signs', () => {
    const mapRoot = new Uint8Array(32).fill(7);
    const withMap = { ...checkpoint, mapRoot, time: 1_796_000_000_123 };
    const text = formatCheckpointText(withMap);
    expect(text).toBe(`${formatCheckpointText(checkpoint)}map ${toBase64(mapRoot)}\ntime 1796000000123\n`);
    expect(parseCheckpointText(text)).toEqual(withMap);
    expect(isRegistryCheckpoint(parseCheckpointText(text)!)).toBe(true);
    expect(isRegistryCheckpoint(checkpoint)).toBe(false);
    expect(() => formatCheckpointText({ ...checkpoint, mapRoot })).toThrow(TypeError);
    expect(() => formatCheckpointText({ ...checkpoint, time: 5 })).toThrow(TypeError);
  });

  it('leaves other extension lines to splitCheckpointText and refuses them in a registry checkpoint', () => {
    expect(splitCheckpointText(`${formatCheckpointText(checkpoint)}extension\n`)).toEqual({ checkpoint, extensions: ['extension'] });
    const base = formatCheckpointText(checkpoint);
    const map = `map ${toBase64(new Uint8Array(32))}`;
    for (const text of [
      `${base}extension\n`,
      `${base}${map}\n`, // no time
      `${base}time 5\n`, // no map
      `${base}time 5\n${map}\n`, // wrong order
      `${base}${map}\ntime 5\nextension\n`, // a third line
      `${base}${map}\ntime 05\n`, // leading zero
      `${base}${map}\ntime -5\n`,
      `${base}${map}\ntime 9007199254740992\n`, // unsafe
      `${base}map ${Buffer.from(new Uint8Array(32).fill(255)).toString('base64url')}\ntime 5\n`, // base64url
      `${base}map ${toBase64(new Uint8Array(31))}\ntime 5\n`, // 31 bytes
      `${base}map  ${toBase64(new Uint8Array(32))}\ntime 5\n`, // two spaces
    ]) {
      expectWith(parseCheckpointText(text), JSON.stringify(text)).toBeNull();
    }
  });

  it('rejects malformed text', () => {
    const root = toBase64(checkpoint.root);
    for (const text of [
      `${ORIGIN}\n12345\n${root}`, // no final newline
      `${ORIGIN}\n12345\n`, // no root
      `\n12345\n${root}\n`, // empty origin
      `${ORIGIN}\n012345\n${root}\n`, // leading zero
      `${ORIGIN}\n+12345\n${root}\n`,
      `${ORIGIN}\n1e3\n${root}\n`,
      `${ORIGIN}\n-1\n${root}\n`,
      `${ORIGIN}\n9007199254740992\n${root}\n`, // unsafe
      `${ORIGIN}\n12345\n${root.replace(/=$/, '')}\n`, // unpadded
      `${ORIGIN}\n12345\n${Buffer.from(checkpoint.root).toString('base64url')}\n`, // base64url
      `${ORIGIN}\n12345\n${toBase64(checkpoint.root.subarray(1))}\n`, // 31 bytes
      `${ORIGIN}\n12345\n${root}\n\nextension\n`, // empty line
    ]) {
      expectWith(parseCheckpointText(text), JSON.stringify(text)).toBeNull();
    }
  });
});

describe('signCheckpoint', () => {
  it('produces exactly the C2SP bytes for a fixed key, root and size', async () => {
    expect(await signCheckpoint(checkpoint, key, sign)).toBe(EXPECTED_NOTE);
  });

  it('produces the same note with the node signer over the same seed', async () => {
    expect(await signCheckpoint(checkpoint, key, nodeSigner(RFC8032_SEED).sign)).toBe(EXPECTED_NOTE);
  });

  it('uses an EM DASH (U+2014), a blank line, and one signature line ending in a newline', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const lines = note.split('\n');
    expect(lines).toHaveLength(6);
    expect(lines[3]).toBe('');
    expect(lines[4]!.codePointAt(0)).toBe(0x2014);
    expect(lines[5]).toBe('');
  });

  it('makes the same signature line format as the Go sumdb/note example', async () => {
    const seed = new Uint8Array(Buffer.from(GO.signerKey.split('+').slice(4).join('+'), 'base64')).subarray(1);
    const peter = signingKeyPairFromSeed(seed);
    const peterKey = noteKey('PeterNeumann', publicKeyBytes(peter));
    expect(signatureLine('PeterNeumann', peterKey.keyId, GO.text, peter.secretKey)).toBe(GO.signatureLine);
    // And the parser reads the Go note back into its text and one signature that verifies.
    const parsed = parseSignedNote(`${GO.text}\n${GO.signatureLine}`);
    expect(parsed).not.toBeNull();
    expect(parsed!.text).toBe(GO.text);
    expect(parsed!.signatures).toHaveLength(1);
    expect(parsed!.signatures[0]!.name).toBe('PeterNeumann');
    expect(parsed!.signatures[0]!.keyId).toEqual(peterKey.keyId);
    expect(naclVerify(peterKey.publicKey, utf8(GO.text), parsed!.signatures[0]!.signature)).toBe(true);
  });
});

describe('openCheckpointNote', () => {
  const open = (note: string) => openCheckpointNote(note, key, naclVerify);

  it('says why a note does not verify, as Go’s note.Open tells apart', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    expect(await open(note)).toEqual({ ok: true, checkpoint });
    expect(await open('not a note')).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await open(note.replace('\n12345\n', '\nmany\n'))).toEqual({ ok: false, reason: 'MALFORMED' });
    expect(await open(await signCheckpoint({ ...checkpoint, origin: 'other.example/peerkeys' }, key, sign))).toEqual({ ok: false, reason: 'WRONG_ORIGIN' });
    const other = noteKey(ORIGIN, publicKeyBytes(otherKey));
    expect(await open(await signCheckpoint(checkpoint, other, signerFor(otherKey)))).toEqual({ ok: false, reason: 'UNKNOWN_KEY', keyIds: [toHex(other.keyId)] });
    expect(await open(note.replace('\n12345\n', '\n12346\n'))).toEqual({ ok: false, reason: 'BAD_SIGNATURE' });
  });
});

describe("DESIGN.md §5's example checkpoint", () => {
  const note =
    'keys.example.org/peerkeys\n6\nOIsptIh3612MQ0NzRjCFAQ+hd3fNlpwBf+NrJhFV8Yg=\nmap iP72m2SSBul4r3yEcutWdHH3SoZQdRTTHdKaO+0fBds=\ntime 1796584875857\n\n' +
    '\u2014 keys.example.org/peerkeys 52HVwCAPbczIqzNOsxtXYhSd6Bxps/z0ppq1WOeKjvPZ4Mpzu8SgEKJOWHN0JDq0HHGTtI/3cTKXhKm+onXgCqLdBgE=\n';
  const vkey = 'keys.example.org/peerkeys+e761d5c0+AddamAGCsQq31Uv+08lkBzoO4XLz2qYjJa8CGmj3B1Ea';

  it('is the one DESIGN.md shows, and verifies against the vkey it gives, made from the RFC 8032 seed', async () => {
    const design = readFileSync(new URL('../../docs/DESIGN.md', import.meta.url), 'utf8');
    for (const line of note.split('\n').filter((l) => l !== '')) expect(design).toContain(`  ${line}\n`);
    expect(design).toContain(vkey);
    expect(formatVerifierKey(noteKey('keys.example.org/peerkeys', publicKeyBytes(logKey)))).toBe(vkey);
    const opened = await openCheckpointNote(note, parseVerifierKey(vkey)!, naclVerify);
    expect(opened.ok && isRegistryCheckpoint(opened.checkpoint) && opened.checkpoint.size === 6 && opened.checkpoint.time === 1796584875857).toBe(true);
  });
});

describe('test/vectors/checkpoint/notes.json (made with Node crypto by its generate.mjs)', () => {
  interface NoteCase {
    name: string;
    note: string;
    ok: boolean;
    registry?: boolean;
    size?: number;
    time?: number;
    reason?: string;
  }
  const vectors = JSON.parse(readFileSync(new URL('../vectors/checkpoint/notes.json', import.meta.url), 'utf8')) as { vkey: string; cases: NoteCase[] };

  it.each(vectors.cases.map((c) => [c.name, c] as const))('%s', async (_name, c) => {
    const opened = await openCheckpointNote(c.note, parseVerifierKey(vectors.vkey)!, naclVerify);
    if (!c.ok) {
      expect(opened.ok ? 'ok' : opened.reason).toBe(c.reason);
      return;
    }
    expect(opened.ok).toBe(true);
    if (!opened.ok) return;
    expect({ registry: isRegistryCheckpoint(opened.checkpoint), size: opened.checkpoint.size, time: opened.checkpoint.time }).toEqual({ registry: c.registry, size: c.size, time: c.time });
  });
});

describe('parseCheckpointNote', () => {
  it('states the checkpoint of a signed note without checking its signatures, null when malformed', async () => {
    const withMap = { ...checkpoint, mapRoot: new Uint8Array(32).fill(7), time: 1_796_000_000_123 };
    expect(parseCheckpointNote(await signCheckpoint(withMap, key, sign))).toEqual(withMap);
    expect(parseCheckpointNote(await signCheckpoint(checkpoint, key, signerFor(otherKey)))).toEqual(checkpoint);
    expect(parseCheckpointNote(formatCheckpointText(checkpoint))).toBeNull();
    expect(parseCheckpointNote(`${formatCheckpointText(checkpoint)}extension\n\n\u2014 ${ORIGIN} AAAAAAA=\n`)).toBeNull();
  });
});

describe('verifyCheckpointNote', () => {
  it('round-trips with signCheckpoint', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    expect(await verifyNote(note)).toEqual(checkpoint);
    expect(await verifyCheckpointNote(note, key, nodeVerify)).toEqual(checkpoint);
    expect(await verifyCheckpointNote(note, parseVerifierKey(EXPECTED_VKEY)!, naclVerify)).toEqual(checkpoint);
  });

  it('round-trips random sizes and roots', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 0, max: Number.MAX_SAFE_INTEGER }), fc.uint8Array({ minLength: 32, maxLength: 32 }), async (size, root) => {
        const note = await signCheckpoint({ origin: ORIGIN, size, root }, key, nodeSigner(RFC8032_SEED).sign);
        expect(await verifyCheckpointNote(note, key, nodeVerify)).toEqual({ origin: ORIGIN, size, root });
      }),
      { numRuns: 50 },
    );
  });

  it('accepts an async signer and verifier', async () => {
    const note = await signCheckpoint(checkpoint, key, async (message) => sign(message));
    expect(await verifyCheckpointNote(note, key, async (...args) => naclVerify(...args))).toEqual(checkpoint);
  });

  it('returns null for a note signed only by another key', async () => {
    const other = noteKey(ORIGIN, publicKeyBytes(otherKey));
    const note = await signCheckpoint(checkpoint, other, signerFor(otherKey));
    expect(await verifyNote(note)).toBeNull();
  });

  it('returns null for a note whose line claims our name and id but was signed by another key', async () => {
    const text = formatCheckpointText(checkpoint);
    expect(await verifyNote(`${text}\n${signatureLine(ORIGIN, key.keyId, text, otherKey.secretKey)}`)).toBeNull();
  });

  it('returns null for a tampered size or root', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    expect(await verifyNote(note.replace('\n12345\n', '\n12346\n'))).toBeNull();
    expect(await verifyNote(note.replace('AAECAwQF', 'AQECAwQF'))).toBeNull();
  });

  it('returns null when the origin differs from the key name, even if the signature is good', async () => {
    const elsewhere = { ...checkpoint, origin: 'other.example/peerkeys' };
    const note = await signCheckpoint(elsewhere, key, sign); // signed by our key, named as our key
    expect(note).toContain(`\u2014 ${ORIGIN} `);
    expect(await verifyNote(note)).toBeNull();
  });

  it('ignores signature lines from unknown keys', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const text = formatCheckpointText(checkpoint);
    const witness = signatureLine('witness.example', noteKeyId('witness.example', publicKeyBytes(otherKey)), text, otherKey.secretKey);
    const garbage = `\u2014 witness.example ${toBase64(new Uint8Array(68).fill(7))}\n`;
    // Our name but another key id: a different key of the same name, unknown to us.
    const sameNameOtherKey = signatureLine(ORIGIN, noteKeyId(ORIGIN, publicKeyBytes(otherKey)), text, otherKey.secretKey);
    expect(await verifyNote(note + witness)).toEqual(checkpoint);
    expect(await verifyNote(`${text}\n${witness}${note.slice(text.length + 1)}`)).toEqual(checkpoint); // ours last
    expect(await verifyNote(note + garbage)).toEqual(checkpoint);
    expect(await verifyNote(note + sameNameOtherKey)).toEqual(checkpoint);
  });

  it('returns null when a second line claiming our key has a bad signature', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const bad = `\u2014 ${ORIGIN} ${toBase64(new Uint8Array([...key.keyId, ...new Uint8Array(64)]))}\n`;
    expect(await verifyNote(note + bad)).toBeNull();
    const text = formatCheckpointText(checkpoint);
    expect(await verifyNote(`${text}\n${bad}${note.slice(text.length + 1)}`)).toBeNull();
  });

  it('returns null when a line claiming our key has a signature of the wrong length', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const short = `\u2014 ${ORIGIN} ${toBase64(new Uint8Array([...key.keyId, ...new Uint8Array(63)]))}\n`;
    expect(await verifyNote(note + short)).toBeNull();
  });

  it('returns null for a missing trailing newline or a missing blank line', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    expect(await verifyNote(note.slice(0, -1))).toBeNull();
    expect(await verifyNote(note.replace('=\n\n\u2014', '=\n\u2014'))).toBeNull();
    expect(await verifyNote(`${note}\n`)).toBeNull(); // trailing blank line
  });

  it('returns null for malformed signature lines', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const text = formatCheckpointText(checkpoint);
    const line = note.slice(text.length + 1);
    for (const changed of [
      line.replace('\u2014', '-'), // hyphen-minus instead of EM DASH
      line.replace('\u2014 ', '\u2014'),
      line.replace(` ${ORIGIN} `, ` ${ORIGIN}  `),
      line.replace(/=\n$/, '\n'), // unpadded base64
      `\u2014 ${ORIGIN} ${toBase64(key.keyId)}\n`, // key id only, no signature
    ]) {
      expectWith(await verifyNote(`${text}\n${changed}`), JSON.stringify(changed)).toBeNull();
    }
  });

  it('returns null for an over-long note, and accepts one at the limit', async () => {
    // A signature line of an unknown key pads the note: such lines are ignored.
    const makeNote = async (bytes: number) => {
      const base = await signCheckpoint({ ...checkpoint, origin: ORIGIN }, key, sign);
      const blob = toBase64(new Uint8Array(60));
      const name = 'x'.repeat(bytes - utf8(base).length - utf8('\u2014  \n').length - blob.length);
      const note = `${base}\u2014 ${name} ${blob}\n`;
      expect(utf8(note).length).toBe(bytes);
      return note;
    };
    expect(await verifyNote(await makeNote(1000))).toEqual(checkpoint);
    expect(await verifyNote(await makeNote(64 * 1024))).toEqual(checkpoint);
    expect(await verifyNote(await makeNote(64 * 1024 + 1))).toBeNull();
  });

  it('returns null for more than 64 signature lines', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    const unknown = `\u2014 witness.example ${toBase64(new Uint8Array(68).fill(7))}\n`;
    expect(await verifyNote(note + unknown.repeat(63))).toEqual(checkpoint);
    expect(await verifyNote(note + unknown.repeat(64))).toBeNull();
  });
});

describe('decodeNote', () => {
  it('decodes UTF-8 and refuses invalid bytes', async () => {
    const note = await signCheckpoint(checkpoint, key, sign);
    expect(decodeNote(utf8(note))).toBe(note);
    expect(decodeNote(new Uint8Array([...utf8(note).subarray(0, 10), 0xff]))).toBeNull();
  });
});
