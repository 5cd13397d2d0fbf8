/**
 * Witness cosignatures (c2sp.org/tlog-cosignature, cosignature/v1, Ed25519) and the request body of
 * c2sp.org/tlog-witness `add-checkpoint`. Pure and browser-safe: the witness, the registry's
 * submitter and every client share it. DESIGN.md §5.4 gives the exact bytes.
 *
 * A cosignature is a signed-note signature line `— <cosigner name> base64(key id || timestamped_signature)`:
 * - key id = SHA-256(name || "\n" || 0x04 || 32-byte public key)[:4];
 * - timestamped_signature = u64 big-endian POSIX seconds || 64-byte Ed25519 signature;
 * - the signed message is `cosignature/v1\ntime <seconds>\n` followed by the whole checkpoint text
 *   (extension lines included, final newline included, no signature lines).
 */
import { bytesEqual, concatBytes, fromBase64, toBase64, toHex, utf8 } from './encoding.js';
import { formatVkey, parseEd25519Vkey, parseSignedNote, signedNoteKeyId, type NoteKey, type NoteSignature } from './checkpoint.js';
import type { SignMessage, VerifySignature } from './signing.js';

/** The signature type byte of cosignature/v1 keys (c2sp.org/signed-note's registry of types). */
export const COSIGNATURE_V1_ALGORITHM = 0x04;
/** A cosigner's key: its name, 4-byte key id (type 0x04) and Ed25519 public key. */
export type CosignerKey = NoteKey;

/** The largest timestamp the spec allows (2^63 - 1) is beyond what we need: seconds up to 2^53. */
const MAX_TIMESTAMP = Number.MAX_SAFE_INTEGER;
const TIMESTAMPED_SIGNATURE_BYTES = 8 + 64;
const SIGNATURE_PREFIX = '\u2014 ';

/** key id = SHA-256(name || "\n" || 0x04 || public key)[:4] */
export function cosignerKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return signedNoteKeyId(name, COSIGNATURE_V1_ALGORITHM, publicKey);
}

export function cosignerKey(name: string, publicKey: Uint8Array): CosignerKey {
  return { name, keyId: cosignerKeyId(name, publicKey), publicKey };
}

/** The cosigner's vkey: `<name>+<key id as 8 hex digits>+<base64(0x04 || public key)>`. */
export function formatCosignerKey(key: CosignerKey): string {
  return formatVkey(key, COSIGNATURE_V1_ALGORITHM);
}

/** Parses a cosigner vkey (type 0x04); null unless well formed, a valid Ed25519 key, with the right id. */
export function parseCosignerKey(text: string): CosignerKey | null {
  return parseEd25519Vkey(text, COSIGNATURE_V1_ALGORITHM, cosignerKey);
}

/** The bytes a cosigner signs: `cosignature/v1\ntime <seconds>\n` || checkpoint text. */
export function cosignatureMessage(checkpointText: string, timestamp: number): Uint8Array {
  if (!Number.isSafeInteger(timestamp) || timestamp < 0) throw new RangeError('a cosignature timestamp is a whole number of seconds');
  return utf8(`cosignature/v1\ntime ${timestamp}\n${checkpointText}`);
}

/** Cosigns a checkpoint's text at `timestamp` (POSIX seconds); returns the signature line, newline included. */
export async function cosignCheckpoint(checkpointText: string, key: CosignerKey, timestamp: number, sign: SignMessage): Promise<string> {
  const signature = await sign(cosignatureMessage(checkpointText, timestamp));
  const stamp = new Uint8Array(8);
  new DataView(stamp.buffer).setBigUint64(0, BigInt(timestamp));
  return `${SIGNATURE_PREFIX}${key.name} ${toBase64(concatBytes(key.keyId, stamp, signature))}\n`;
}

/**
 * Splits a note signature (after its key id) as a timestamped_signature: the timestamp in POSIX
 * seconds and the 64-byte Ed25519 signature. Null when it is not exactly 72 bytes, or its
 * timestamp is beyond 2^53 (no honest cosigner writes one).
 */
export function parseTimestampedSignature(blob: Uint8Array): { timestamp: number; signature: Uint8Array } | null {
  if (blob.length !== TIMESTAMPED_SIGNATURE_BYTES) return null;
  const timestamp = new DataView(blob.buffer, blob.byteOffset, 8).getBigUint64(0);
  if (timestamp > BigInt(MAX_TIMESTAMP)) return null;
  return { timestamp: Number(timestamp), signature: blob.slice(8) };
}

/**
 * Verifies one signature line as `key`'s cosignature of `checkpointText`: its timestamp in
 * seconds, or null (another key's line, a malformed blob or a bad signature). Never throws.
 */
export async function verifyCosignature(checkpointText: string, line: NoteSignature, key: CosignerKey, verify: VerifySignature): Promise<number | null> {
  if (line.name !== key.name || !bytesEqual(line.keyId, key.keyId)) return null;
  const parsed = parseTimestampedSignature(line.signature);
  if (parsed === null) return null;
  const ok = await verify(key.publicKey, cosignatureMessage(checkpointText, parsed.timestamp), parsed.signature);
  return ok ? parsed.timestamp : null;
}

/** A client's witness policy: at least `quorum` of `witnesses` must have cosigned a checkpoint. */
export interface WitnessPolicy {
  witnesses: CosignerKey[];
  quorum: number;
}

/** How far in the future a cosignature's time may be (clock skew), as for checkpoint times. */
export const MAX_COSIGNATURE_FUTURE_MS = 5 * 60 * 1000;

export type PolicyResult =
  | { ok: true; cosigners: string[] }
  /** `cosigners`: the witnesses whose cosignature verified; `futureTime`: those whose time is too far ahead. */
  | { ok: false; cosigners: string[]; futureTime: string[] };

/**
 * Checks a signed checkpoint note against a witness policy: counts the distinct policy witnesses
 * with a valid cosignature of the note's text whose time is not more than 5 minutes after `nowMs`.
 * Lines by other keys are ignored, as the spec says. Never throws on attacker input; a note that
 * does not parse meets no policy but the empty one.
 */
export async function checkWitnessPolicy(note: string, policy: WitnessPolicy, verify: VerifySignature, nowMs: number): Promise<PolicyResult> {
  const parsed = parseSignedNote(note);
  const cosigners: string[] = [];
  const futureTime: string[] = [];
  if (parsed !== null) {
    for (const witness of policy.witnesses) {
      for (const line of parsed.signatures) {
        const timestamp = await verifyCosignature(parsed.text, line, witness, verify);
        if (timestamp === null) continue;
        if (timestamp * 1000 > nowMs + MAX_COSIGNATURE_FUTURE_MS) {
          futureTime.push(witness.name);
          continue;
        }
        cosigners.push(witness.name);
        break;
      }
    }
  }
  return cosigners.length >= policy.quorum ? { ok: true, cosigners } : { ok: false, cosigners, futureTime };
}

/** Parses a policy from vkeys and a quorum; null when a vkey is not a cosigner key or k is not in 1..n. */
export function witnessPolicy(vkeys: readonly string[], quorum: number): WitnessPolicy | null {
  const witnesses = vkeys.map(parseCosignerKey);
  if (witnesses.some((w) => w === null) || !Number.isSafeInteger(quorum) || quorum < 1 || quorum > witnesses.length) return null;
  const names = new Set(witnesses.map((w) => toHex(w!.keyId) + w!.name));
  if (names.size !== witnesses.length) return null;
  return { witnesses: witnesses as CosignerKey[], quorum };
}

/**
 * The signature lines of a witness's 200 answer (c2sp.org/tlog-witness): one or more lines, each
 * `— <name> <base64>` and newline-terminated. Parsed by appending them to the checkpoint note and
 * reading that as a signed note, as the spec suggests; null when that is not a valid note.
 */
export function appendCosignatures(note: string, body: string): { note: string; lines: NoteSignature[] } | null {
  if (body.length === 0 || !body.startsWith(SIGNATURE_PREFIX) || !body.endsWith('\n')) return null;
  const before = parseSignedNote(note);
  const after = parseSignedNote(note + body);
  if (before === null || after === null || after.text !== before.text) return null;
  return { note: note + body, lines: after.signatures.slice(before.signatures.length) };
}

// --- add-checkpoint request body (c2sp.org/tlog-witness#add-checkpoint) ---

/** The most consistency proof lines a request may carry. */
export const MAX_PROOF_LINES = 63;
const DECIMAL = /^(0|[1-9][0-9]*)$/;

export interface AddCheckpointRequest {
  oldSize: number;
  proof: Uint8Array[];
  /** The signed checkpoint note, as sent (its signatures are checked by the witness). */
  note: string;
}

/** `old <size>\n`, one base64 hash per line, an empty line, then the signed checkpoint note. */
export function formatAddCheckpointRequest(request: AddCheckpointRequest): string {
  if (!Number.isSafeInteger(request.oldSize) || request.oldSize < 0 || request.proof.length > MAX_PROOF_LINES) {
    throw new RangeError('an add-checkpoint request has a size and at most 63 proof hashes');
  }
  return `old ${request.oldSize}\n${request.proof.map((hash) => `${toBase64(hash)}\n`).join('')}\n${request.note}`;
}

/**
 * Parses an add-checkpoint request body strictly: `old ` and a decimal size with no leading zero,
 * at most 63 lines of standard base64 of a 32-byte hash, an empty line, and the rest as the note.
 * Null on anything else (the witness answers 400).
 */
export function parseAddCheckpointRequest(body: string): AddCheckpointRequest | null {
  const lines: string[] = [];
  let at = 0;
  for (;;) {
    const end = body.indexOf('\n', at);
    if (end < 0) return null;
    const line = body.slice(at, end);
    at = end + 1;
    if (line === '') break;
    if (lines.length > MAX_PROOF_LINES) return null;
    lines.push(line);
  }
  const [oldLine, ...proofLines] = lines;
  if (oldLine === undefined || !oldLine.startsWith('old ')) return null;
  const sizeText = oldLine.slice(4);
  const oldSize = Number(sizeText);
  if (!DECIMAL.test(sizeText) || !Number.isSafeInteger(oldSize)) return null;
  const proof: Uint8Array[] = [];
  for (const line of proofLines) {
    const hash = fromBase64(line, 32);
    if (hash === null) return null;
    proof.push(hash);
  }
  return { oldSize, proof, note: body.slice(at) };
}

/** The body of a witness's 409 on a stale old size: `<size>\n` (Content-Type text/x.tlog.size). */
export const TLOG_SIZE_CONTENT_TYPE = 'text/x.tlog.size';

export function parseTlogSize(body: string): number | null {
  if (!body.endsWith('\n')) return null;
  const text = body.slice(0, -1);
  const size = Number(text);
  return DECIMAL.test(text) && Number.isSafeInteger(size) ? size : null;
}
