/**
 * Log checkpoints as C2SP signed notes.
 * https://c2sp.org/tlog-checkpoint and https://c2sp.org/signed-note
 *
 * A checkpoint's text is `<origin>\n<size>\n<base64 root>\n`; the note adds a blank line and one
 * signature line per signer: `— <key name> <base64(key id || signature)>\n`. The registry's key
 * name is its origin. Standard (padded) base64 here, as C2SP says — not base64url.
 *
 * The registry's checkpoints carry two extension lines (DESIGN.md §5): `map <base64 map root>\n`,
 * the key map's root after the first `size` entries, and `time <unix ms>\n`, when it was signed.
 * Signed with the rest, so a witness's cosignature covers them too (c2sp.org/tlog-cosignature).
 */
import { bytesEqual, concatBytes, fromBase64, fromUtf8, toBase64, toHex, utf8 } from './encoding.js';
import { sha256 } from './hash.js';
import { isValidEd25519PublicKey } from './keys.js';
import type { SignMessage, VerifySignature } from './signing.js';

export interface Checkpoint {
  origin: string;
  size: number;
  root: Uint8Array;
  /** The key map's root after the first `size` entries (DESIGN.md §5.2); with `time`, or neither. */
  mapRoot?: Uint8Array;
  /** When the registry signed the checkpoint, in Unix milliseconds; with `mapRoot`, or neither. */
  time?: number;
}

/** A checkpoint as the registry signs it: with the map root and the time. */
export type RegistryCheckpoint = Checkpoint & { mapRoot: Uint8Array; time: number };

export function isRegistryCheckpoint(checkpoint: Checkpoint): checkpoint is RegistryCheckpoint {
  return checkpoint.mapRoot !== undefined && checkpoint.time !== undefined;
}

/** A signer's key as C2SP names it: the key name, its 4-byte id and the Ed25519 public key. */
export interface NoteKey {
  name: string;
  keyId: Uint8Array;
  publicKey: Uint8Array;
}

export interface NoteSignature {
  name: string;
  keyId: Uint8Array;
  signature: Uint8Array;
}

/** Limits for parsing notes from untrusted sources. */
const MAX_NOTE_BYTES = 64 * 1024;
const MAX_SIGNATURES = 64;
const ED25519_ALGORITHM = 0x01;
const SIGNATURE_PREFIX = '\u2014 ';

/** A key name: non-empty, no whitespace and no '+' (c2sp.org/signed-note#signatures). */
export function isValidKeyName(name: string): boolean {
  return name.length > 0 && !/[\s+]/u.test(name);
}

/** key id = SHA-256(name || "\n" || 0x01 || public key)[:4] */
export function noteKeyId(name: string, publicKey: Uint8Array): Uint8Array {
  return signedNoteKeyId(name, ED25519_ALGORITHM, publicKey);
}

/** A signed-note key id for a signature type: SHA-256(name || "\n" || type || public key)[:4]. */
export function signedNoteKeyId(name: string, algorithm: number, publicKey: Uint8Array): Uint8Array {
  return sha256(concatBytes(utf8(`${name}\n`), new Uint8Array([algorithm]), publicKey)).slice(0, 4);
}

/** A vkey string for a signature type: `<name>+<key id as 8 hex digits>+<base64(type || public key)>`. */
export function formatVkey(key: NoteKey, algorithm: number): string {
  return `${key.name}+${toHex(key.keyId)}+${toBase64(concatBytes(new Uint8Array([algorithm]), key.publicKey))}`;
}

export function noteKey(name: string, publicKey: Uint8Array): NoteKey {
  return { name, keyId: noteKeyId(name, publicKey), publicKey };
}

/** The verifier key string: `<name>+<key id as 8 hex digits>+<base64(0x01 || public key)>`. */
export function formatVerifierKey(key: NoteKey): string {
  return formatVkey(key, ED25519_ALGORITHM);
}

/** Parses a verifier key string; null unless it is a well-formed Ed25519 key with a matching id. */
export function parseVerifierKey(text: string): NoteKey | null {
  return parseEd25519Vkey(text, ED25519_ALGORITHM, noteKey);
}

/**
 * A vkey `<name>+<8 hex digits>+<base64(algorithm || 32-byte Ed25519 key)>` of the given
 * signature type (c2sp.org/signed-note#verifier-keys); `makeKey` computes the id, which must match.
 */
export function parseEd25519Vkey(text: string, algorithm: number, makeKey: (name: string, publicKey: Uint8Array) => NoteKey): NoteKey | null {
  // Split at the first two '+' only: names cannot contain '+', but the base64 key may (as in Go's note.NewVerifier).
  const first = text.indexOf('+');
  const second = text.indexOf('+', first + 1);
  if (first < 0 || second < 0) return null;
  const [name, idHex, keyText] = [text.slice(0, first), text.slice(first + 1, second), text.slice(second + 1)];
  if (!isValidKeyName(name) || !/^[0-9a-f]{8}$/.test(idHex)) return null;
  const keyBytes = fromBase64(keyText, 33);
  if (keyBytes === null || keyBytes[0] !== algorithm || !isValidEd25519PublicKey(keyBytes.slice(1))) return null;
  const key = makeKey(name, keyBytes.slice(1));
  return toHex(key.keyId) === idHex ? key : null;
}

export function formatCheckpointText(checkpoint: Checkpoint): string {
  const body = `${checkpoint.origin}\n${checkpoint.size}\n${toBase64(checkpoint.root)}\n`;
  if (checkpoint.mapRoot === undefined && checkpoint.time === undefined) return body;
  if (checkpoint.mapRoot?.length !== 32 || !Number.isSafeInteger(checkpoint.time) || checkpoint.time! < 0) {
    throw new TypeError('a checkpoint has both a 32-byte map root and a time in Unix milliseconds, or neither');
  }
  return `${body}${MAP_LINE}${toBase64(checkpoint.mapRoot)}\n${TIME_LINE}${checkpoint.time}\n`;
}

/** Signs a checkpoint and returns the whole note. */
export async function signCheckpoint(checkpoint: Checkpoint, key: NoteKey, sign: SignMessage): Promise<string> {
  const text = formatCheckpointText(checkpoint);
  const signature = await sign(utf8(text));
  return `${text}\n${SIGNATURE_PREFIX}${key.name} ${toBase64(concatBytes(key.keyId, signature))}\n`;
}

/** Splits a signed note into its text and signature lines, or null when it is not well formed. */
export function parseSignedNote(note: string): { text: string; signatures: NoteSignature[] } | null {
  if (utf8(note).length > MAX_NOTE_BYTES || !note.endsWith('\n')) return null;
  // Notes are text: no control characters but newline (as Go's golang.org/x/mod/sumdb/note).
  if (/[\u0000-\u0009\u000b-\u001f\u007f]/.test(note)) return null;
  const split = note.lastIndexOf('\n\n');
  if (split < 0) return null;
  const text = note.slice(0, split + 1);
  const lines = note.slice(split + 2, -1).split('\n');
  if (lines.length > MAX_SIGNATURES) return null;
  const signatures: NoteSignature[] = [];
  for (const line of lines) {
    if (!line.startsWith(SIGNATURE_PREFIX)) return null;
    const rest = line.slice(SIGNATURE_PREFIX.length);
    const space = rest.indexOf(' ');
    if (space < 0) return null;
    const name = rest.slice(0, space);
    const blob = fromBase64(rest.slice(space + 1));
    if (!isValidKeyName(name) || blob === null || blob.length < 5) return null;
    signatures.push({ name, keyId: blob.slice(0, 4), signature: blob.slice(4) });
  }
  return { text, signatures };
}

const DECIMAL = /^(0|[1-9][0-9]*)$/;
const MAP_LINE = 'map ';
const TIME_LINE = 'time ';

/**
 * Splits a checkpoint's text as c2sp.org/tlog-checkpoint defines it: origin, size, root, and any
 * extension lines after them, uninterpreted. For parties that handle other logs' checkpoints too
 * (a witness); the registry's own are read with parseCheckpointText.
 */
export function splitCheckpointText(text: string): { checkpoint: Checkpoint; extensions: string[] } | null {
  if (!text.endsWith('\n')) return null;
  const lines = text.slice(0, -1).split('\n');
  if (lines.length < 3 || lines.some((line) => line.length === 0)) return null;
  const [origin, sizeText, rootText, ...extensions] = lines as [string, string, string, ...string[]];
  if (!DECIMAL.test(sizeText)) return null;
  const size = Number(sizeText);
  const root = fromBase64(rootText, 32);
  if (!Number.isSafeInteger(size) || root === null) return null;
  return { checkpoint: { origin, size, root }, extensions };
}

/**
 * Parses a checkpoint's text strictly: either the three C2SP lines alone, or the three followed by
 * exactly the registry's two extension lines, `map <standard base64 of 32 bytes>` and
 * `time <decimal Unix ms, no leading zero>` (DESIGN.md §5). Anything else is null: a checkpoint
 * that says more than the registry signs is not one of its checkpoints.
 */
export function parseCheckpointText(text: string): Checkpoint | null {
  const split = splitCheckpointText(text);
  if (split === null) return null;
  const { checkpoint, extensions } = split;
  if (extensions.length === 0) return checkpoint;
  if (extensions.length !== 2) return null;
  const [mapLine, timeLine] = extensions as [string, string];
  if (!mapLine.startsWith(MAP_LINE) || !timeLine.startsWith(TIME_LINE)) return null;
  const mapRoot = fromBase64(mapLine.slice(MAP_LINE.length), 32);
  const timeText = timeLine.slice(TIME_LINE.length);
  const time = Number(timeText);
  if (mapRoot === null || !DECIMAL.test(timeText) || !Number.isSafeInteger(time)) return null;
  return { ...checkpoint, mapRoot, time };
}

/**
 * The checkpoint a signed note states, its signatures unchecked: null when the note or its text
 * is malformed. For notes already verified, or read from the registry's own store.
 */
export function parseCheckpointNote(note: string): Checkpoint | null {
  const parsed = parseSignedNote(note);
  return parsed === null ? null : parseCheckpointText(parsed.text);
}

/**
 * Why a checkpoint note did not verify, as Go's golang.org/x/mod/sumdb/note `Open` tells apart:
 * - `MALFORMED`: not a signed note, or its text is not a checkpoint;
 * - `WRONG_ORIGIN`: a checkpoint of another log (its origin is not the pinned key's name);
 * - `UNKNOWN_KEY`: no signature line by the pinned key (another key signed it): `keyIds` lists
 *   the key ids (8 hex digits) of the lines it does have, for telling a changed key from damage;
 * - `BAD_SIGNATURE`: a line claims the pinned key and its signature does not verify.
 */
export type CheckpointFailure =
  | { reason: 'MALFORMED' | 'WRONG_ORIGIN' | 'BAD_SIGNATURE' }
  | { reason: 'UNKNOWN_KEY'; keyIds: string[] };

export type OpenedCheckpoint = { ok: true; checkpoint: Checkpoint } | ({ ok: false } & CheckpointFailure);

/**
 * Verifies a checkpoint note against a pinned key and says why when it does not. Signature lines
 * from other keys are ignored (witness cosignatures, DESIGN.md §5.4); a line claiming the pinned
 * key must verify. Never throws on attacker input.
 */
export async function openCheckpointNote(note: string, key: NoteKey, verify: VerifySignature): Promise<OpenedCheckpoint> {
  const parsed = parseSignedNote(note);
  const checkpoint = parsed === null ? null : parseCheckpointText(parsed.text);
  if (parsed === null || checkpoint === null) return { ok: false, reason: 'MALFORMED' };
  if (checkpoint.origin !== key.name) return { ok: false, reason: 'WRONG_ORIGIN' };
  const ours = parsed.signatures.filter((s) => s.name === key.name && bytesEqual(s.keyId, key.keyId));
  if (ours.length === 0) return { ok: false, reason: 'UNKNOWN_KEY', keyIds: parsed.signatures.map((s) => toHex(s.keyId)) };
  const message = utf8(parsed.text);
  for (const candidate of ours) {
    if (candidate.signature.length !== 64 || !(await verify(key.publicKey, message, candidate.signature))) return { ok: false, reason: 'BAD_SIGNATURE' };
  }
  return { ok: true, checkpoint };
}

/** openCheckpointNote for callers that need only the checkpoint: null when it does not verify. */
export async function verifyCheckpointNote(note: string, key: NoteKey, verify: VerifySignature): Promise<Checkpoint | null> {
  const opened = await openCheckpointNote(note, key, verify);
  return opened.ok ? opened.checkpoint : null;
}

/** Decodes note bytes received from the network (strict UTF-8). */
export function decodeNote(bytes: Uint8Array): string | null {
  return fromUtf8(bytes);
}
