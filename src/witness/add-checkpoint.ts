/**
 * The witness's one decision (c2sp.org/tlog-witness#add-checkpoint): given a request body, the
 * logs it follows and its stored state, which answer to give — and whether to cosign. Statuses:
 * 400 malformed or old size > size; 404 unknown origin; 403 no valid signature by the log's key;
 * 409 + `text/x.tlog.size` when the old size is not its latest; 409 on the same size with another
 * root; 422 when the consistency proof does not verify; 200 with the cosignature line.
 */
import { bytesEqual, fromUtf8, utf8 } from '../protocol/encoding.js';
import { parseSignedNote, splitCheckpointText, type NoteKey } from '../protocol/checkpoint.js';
import { cosignCheckpoint, parseAddCheckpointRequest, TLOG_SIZE_CONTENT_TYPE, type CosignerKey } from '../protocol/cosignature.js';
import { EMPTY_ROOT, verifyConsistency } from '../protocol/merkle.js';
import type { SignMessage, VerifySignature } from '../protocol/signing.js';
import type { WitnessStore } from './witness-store.js';

export interface WitnessAnswer {
  status: 200 | 400 | 403 | 404 | 409 | 422;
  contentType: string;
  body: string;
}

export interface WitnessDeps {
  logs: ReadonlyMap<string, NoteKey>;
  store: WitnessStore;
  key: CosignerKey;
  sign: SignMessage;
  verify: VerifySignature;
  /** Unix milliseconds. */
  now: () => number;
}

const TEXT = 'text/plain; charset=utf-8';
const refuse = (status: WitnessAnswer['status'], message: string): WitnessAnswer => ({ status, contentType: TEXT, body: `${message}\n` });

export async function addCheckpoint(bytes: Uint8Array, deps: WitnessDeps): Promise<WitnessAnswer> {
  const body = fromUtf8(bytes);
  const request = body === null ? null : parseAddCheckpointRequest(body);
  if (request === null) return refuse(400, 'malformed request: expected "old <size>", at most 63 base64 hashes, an empty line, then a signed checkpoint');
  const note = parseSignedNote(request.note);
  const split = note === null ? null : splitCheckpointText(note.text);
  if (note === null || split === null) return refuse(400, 'malformed checkpoint note');
  const { checkpoint } = split;

  const logKey = deps.logs.get(checkpoint.origin);
  if (logKey === undefined) return refuse(404, 'unknown log origin');
  const message = utf8(note.text);
  let signed = false;
  for (const line of note.signatures) {
    // Lines by other keys (other witnesses' cosignatures) are ignored, as the spec says.
    if (line.name !== logKey.name || !bytesEqual(line.keyId, logKey.keyId) || line.signature.length !== 64) continue;
    if (await deps.verify(logKey.publicKey, message, line.signature)) signed = true;
  }
  if (!signed) return refuse(403, "no valid signature by the log's key");

  const { oldSize, proof } = request;
  if (oldSize > checkpoint.size) return refuse(400, 'old size is larger than the checkpoint size');
  if (oldSize === 0 && proof.length > 0) return refuse(422, 'a consistency proof from size 0 must be empty');
  if (checkpoint.size === 0 && !bytesEqual(checkpoint.root, EMPTY_ROOT)) return refuse(422, 'an empty tree has the empty root');

  const decision = await deps.store.advance(checkpoint.origin, (current) => {
    if (oldSize !== current.size) return { store: null, result: { status: 409, contentType: TLOG_SIZE_CONTENT_TYPE, body: `${current.size}\n` } as WitnessAnswer };
    if (checkpoint.size === current.size) {
      if (!bytesEqual(checkpoint.root, current.root)) return { store: null, result: refuse(409, 'same size, different root: this log forked') };
      if (proof.length > 0) return { store: null, result: refuse(422, 'a consistency proof between equal sizes must be empty') };
    } else if (oldSize > 0 && !verifyConsistency(oldSize, checkpoint.size, proof, current.root, checkpoint.root)) {
      return { store: null, result: refuse(422, 'the consistency proof does not verify') };
    }
    return { store: { size: checkpoint.size, root: checkpoint.root, note: request.note }, result: null };
  });
  if (decision !== null) return decision;

  // Committed: this checkpoint is now the latest the witness vouches for; cosign it as it is.
  const line = await cosignCheckpoint(note.text, deps.key, Math.floor(deps.now() / 1000), deps.sign);
  return { status: 200, contentType: TEXT, body: line };
}
