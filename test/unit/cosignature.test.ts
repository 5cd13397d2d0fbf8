// Witness cosignatures and add-checkpoint requests (src/protocol/cosignature.ts), against the
// known-answer data of test/vectors/witness/ (its README says where each byte came from).
import { readFileSync } from 'node:fs';
import { createHash } from 'node:crypto';
import { describe, expect, it } from '@jest/globals';
import {
  appendCosignatures,
  checkWitnessPolicy,
  cosignatureMessage,
  cosignCheckpoint,
  cosignerKey,
  formatAddCheckpointRequest,
  formatCosignerKey,
  parseAddCheckpointRequest,
  parseCosignerKey,
  parseTimestampedSignature,
  parseTlogSize,
  verifyCosignature,
  witnessPolicy,
} from '../../src/protocol/cosignature.js';
import { noteKey, parseSignedNote, parseVerifierKey, splitCheckpointText, verifyCheckpointNote } from '../../src/protocol/checkpoint.js';
import { fromBase64, toHex, utf8 } from '../../src/protocol/encoding.js';
import { verifyConsistency } from '../../src/protocol/merkle.js';
import { nodeSigner, nodeVerify } from '../../src/node/node-ed25519.js';
import { hex } from '../helpers/bytes.js';

interface LitetlogVectors {
  logOrigin: string;
  logPublicKeyHex: string;
  logKeyIdHex: string;
  witnessName: string;
  witnessSeedHex: string;
  witnessPublicKeyHex: string;
  notes: Record<string, string>;
  requests: Array<{ name: string; body: string; oldSize: number; size: number; valid: boolean }>;
  tooManyProofs: string;
}
interface SpecVectors {
  cosignedNote: string;
  cosignerName: string;
  cosignerKeyIdHex: string;
  timestamp: number;
  signedMessage: string;
  witnessRequest: string;
  cosignerVkey: string;
  ed25519VkeyNotCosigner: string;
  timestampedSignature: string;
  timestampedSignatureTime: number;
  plainEd25519Signature: string;
}
const vectors = <T>(name: string): T => JSON.parse(readFileSync(new URL(`../vectors/witness/${name}`, import.meta.url), 'utf8')) as T;
const litetlog = vectors<LitetlogVectors>('litetlog.json');
const spec = vectors<SpecVectors>('c2sp-examples.json');

describe('C2SP examples (tlog-cosignature, tlog-witness) and transparency-dev/formats', () => {
  it("frames the spec's cosignature line: key id, big-endian timestamp, 64-byte signature", () => {
    const note = parseSignedNote(spec.cosignedNote)!;
    const line = note.signatures[1]!;
    expect(line.name).toBe(spec.cosignerName);
    expect(toHex(line.keyId)).toBe(spec.cosignerKeyIdHex);
    expect(parseTimestampedSignature(line.signature)?.timestamp).toBe(spec.timestamp);
    // The log's own line is a plain Ed25519 signature (64 bytes): not a timestamped one.
    expect(parseTimestampedSignature(note.signatures[0]!.signature)).toBeNull();
  });

  it("builds the spec's signed message byte for byte", () => {
    const text = parseSignedNote(spec.cosignedNote)!.text;
    expect(Buffer.from(cosignatureMessage(text, spec.timestamp)).toString('utf8')).toBe(spec.signedMessage);
  });

  it("parses the spec's add-checkpoint example and formats it back to the same bytes", () => {
    const request = parseAddCheckpointRequest(spec.witnessRequest)!;
    expect(request.oldSize).toBe(20852014);
    expect(request.proof).toHaveLength(4);
    expect(splitCheckpointText(parseSignedNote(request.note)!.text)?.checkpoint.size).toBe(20852163);
    expect(formatAddCheckpointRequest(request)).toBe(spec.witnessRequest);
  });

  it('reads a published cosigner vkey (type 0x04) and refuses an Ed25519 note vkey (type 0x01) as one', () => {
    const key = parseCosignerKey(spec.cosignerVkey)!;
    expect(key.name).toBe('remora.n621.de');
    expect(formatCosignerKey(key)).toBe(spec.cosignerVkey);
    expect(parseCosignerKey(spec.ed25519VkeyNotCosigner)).toBeNull();
    // ...which is a valid note vkey, with '+' inside its base64.
    expect(parseVerifierKey(spec.ed25519VkeyNotCosigner)?.name).toBe('TEST');
    expect(parseVerifierKey(spec.cosignerVkey)).toBeNull();
  });

  it("reads transparency-dev/formats' timestamped signature and refuses its plain one", () => {
    const blob = fromBase64(spec.timestampedSignature)!;
    expect(parseTimestampedSignature(blob.slice(4))?.timestamp).toBe(spec.timestampedSignatureTime);
    expect(parseTimestampedSignature(fromBase64(spec.plainEd25519Signature)!.slice(4))).toBeNull();
  });
});

describe('litetlog witness test data (a sigsum log, signed checkpoints and consistency proofs)', () => {
  const logKey = noteKey(litetlog.logOrigin, hex(litetlog.logPublicKeyHex));

  it("verifies the log's signed checkpoints under its key (key id from the published bytes)", async () => {
    expect(toHex(logKey.keyId)).toBe(litetlog.logKeyIdHex);
    for (const note of Object.values(litetlog.notes)) {
      expect(await verifyCheckpointNote(note, logKey, nodeVerify)).not.toBeNull();
    }
  });

  it('parses every request and verifies its consistency proof exactly when the data says it is valid', () => {
    const roots = Object.fromEntries(
      Object.entries(litetlog.notes).map(([size, note]) => [size, splitCheckpointText(parseSignedNote(note)!.text)!.checkpoint.root]),
    );
    for (const vector of litetlog.requests) {
      const request = parseAddCheckpointRequest(vector.body);
      expect({ name: vector.name, parsed: request !== null }).toEqual({ name: vector.name, parsed: true });
      expect(formatAddCheckpointRequest(request!)).toBe(vector.body);
      const checkpoint = splitCheckpointText(parseSignedNote(request!.note)!.text)!.checkpoint;
      expect(checkpoint.size).toBe(vector.size);
      const consistent =
        vector.oldSize === 0 ? request!.proof.length === 0 : verifyConsistency(vector.oldSize, vector.size, request!.proof, roots[vector.oldSize]!, checkpoint.root);
      expect({ name: vector.name, consistent }).toEqual({ name: vector.name, consistent: vector.valid });
    }
  });

  it('refuses a request with 64 proof lines (TestTooManyProofs)', () => {
    expect(parseAddCheckpointRequest(litetlog.tooManyProofs)).toBeNull();
    const sixtyThree = litetlog.tooManyProofs.replace('KgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n', '');
    expect(parseAddCheckpointRequest(sixtyThree)?.proof).toHaveLength(63);
  });

  it("derives the published witness key from its seed, and its cosignature verifies", async () => {
    const signer = nodeSigner(hex(litetlog.witnessSeedHex));
    expect(toHex(signer.publicKey)).toBe(litetlog.witnessPublicKeyHex);
    const key = cosignerKey(litetlog.witnessName, signer.publicKey);
    // The key id by the spec's formula, computed with Node's own hash.
    const id = createHash('sha256').update(Buffer.concat([Buffer.from('example.com\n'), Buffer.from([4]), Buffer.from(signer.publicKey)])).digest();
    expect(toHex(key.keyId)).toBe(id.subarray(0, 4).toString('hex'));
    const note = litetlog.notes['5']!;
    const text = parseSignedNote(note)!.text;
    const line = await cosignCheckpoint(text, key, 1727964367, signer.sign);
    const cosigned = appendCosignatures(note, line)!;
    expect(cosigned.lines).toHaveLength(1);
    expect(await verifyCosignature(text, cosigned.lines[0]!, key, nodeVerify)).toBe(1727964367);
    // The timestamp is signed: the same signature under another time does not verify.
    const blob = new Uint8Array([...cosigned.lines[0]!.signature]);
    blob[7] = blob[7]! ^ 1;
    expect(await verifyCosignature(text, { ...cosigned.lines[0]!, signature: blob }, key, nodeVerify)).toBeNull();
    // Extension lines are signed too.
    expect(await verifyCosignature(`${text}extra\n`, cosigned.lines[0]!, key, nodeVerify)).toBeNull();
  });
});

describe('witness policy', () => {
  const witnesses = [1, 2, 3].map((n) => {
    const signer = nodeSigner(new Uint8Array(32).fill(n));
    return { signer, key: cosignerKey(`w${n}.example`, signer.publicKey) };
  });
  const note = litetlog.notes['3']!;
  const text = parseSignedNote(note)!.text;
  const now = 1_800_000_000_000;
  const cosigned = async (who: number[], at = now / 1000) => {
    let out = note;
    for (const n of who) out += await cosignCheckpoint(text, witnesses[n]!.key, at, witnesses[n]!.signer.sign);
    return out;
  };
  const policy = (quorum: number) => witnessPolicy(witnesses.slice(0, 2).map((w) => formatCosignerKey(w.key)), quorum)!;

  it('counts distinct trusted cosigners and ignores other keys', async () => {
    expect((await checkWitnessPolicy(await cosigned([0, 1]), policy(2), nodeVerify, now)).ok).toBe(true);
    expect((await checkWitnessPolicy(await cosigned([0, 0]), policy(2), nodeVerify, now)).ok).toBe(false);
    expect((await checkWitnessPolicy(await cosigned([0, 2]), policy(2), nodeVerify, now)).ok).toBe(false);
    expect((await checkWitnessPolicy(await cosigned([2]), policy(1), nodeVerify, now)).ok).toBe(false);
    expect((await checkWitnessPolicy(await cosigned([1]), policy(1), nodeVerify, now)).ok).toBe(true);
  });

  it('refuses a cosignature more than 5 minutes in the future', async () => {
    const ahead = await cosigned([0], now / 1000 + 301);
    expect(await checkWitnessPolicy(ahead, policy(1), nodeVerify, now)).toEqual({ ok: false, cosigners: [], futureTime: ['w1.example'] });
    expect((await checkWitnessPolicy(await cosigned([0], now / 1000 + 300), policy(1), nodeVerify, now)).ok).toBe(true);
  });

  it('refuses a cosignature of another checkpoint moved onto this one', async () => {
    const other = litetlog.notes['5']!;
    const otherText = parseSignedNote(other)!.text;
    const line = await cosignCheckpoint(otherText, witnesses[0]!.key, now / 1000, witnesses[0]!.signer.sign);
    expect((await checkWitnessPolicy(note + line, policy(1), nodeVerify, now)).ok).toBe(false);
  });

  it('takes only k in 1..n and cosigner vkeys', () => {
    const vkeys = witnesses.map((w) => formatCosignerKey(w.key));
    expect(witnessPolicy(vkeys, 0)).toBeNull();
    expect(witnessPolicy(vkeys, 4)).toBeNull();
    expect(witnessPolicy([vkeys[0]!, vkeys[0]!], 1)).toBeNull();
    expect(witnessPolicy([spec.ed25519VkeyNotCosigner], 1)).toBeNull();
    expect(witnessPolicy(vkeys, 3)?.quorum).toBe(3);
  });
});

describe('strict parsing of witness bodies', () => {
  const note = litetlog.notes['1']!;
  it.each([
    ['no old line', `\n${note}`],
    ['leading zero', `old 01\n\n${note}`],
    ['negative', `old -1\n\n${note}`],
    ['two spaces', `old  1\n\n${note}`],
    ['no blank line', `old 0\n${note}`],
    ['short hash', `old 1\nKgEAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA==\n\n${note}`],
    ['url-safe base64', `old 1\n-_EAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA=\n\n${note}`],
    ['CRLF', `old 0\r\n\r\n${note}`],
    ['size beyond 2^53', `old 9007199254740993\n\n${note}`],
    ['empty', ''],
  ])('refuses a request: %s', (_name, body) => {
    expect(parseAddCheckpointRequest(body)).toBeNull();
  });

  it('reads a 409 size body, strictly', () => {
    expect(parseTlogSize('12\n')).toBe(12);
    for (const bad of ['12', '012\n', '\n', '1 2\n', '-1\n']) expect(parseTlogSize(bad)).toBeNull();
  });

  it('takes only signature lines as a 200 body', () => {
    expect(appendCosignatures(note, '')).toBeNull();
    expect(appendCosignatures(note, 'hello\n')).toBeNull();
    expect(appendCosignatures(note, '— w AAAA\n')).toBeNull();
    expect(appendCosignatures(note, `\n${note}`)).toBeNull();
    expect(utf8(note).length).toBeGreaterThan(0);
  });
});
