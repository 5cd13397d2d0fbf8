/**
 * Watching one's own identity: an owner learns of every record accepted for it since the last
 * check — including one they did not make, which is how a stolen rotation key shows itself while
 * there is still time (72 hours) to recover with a stronger key.
 *
 * What the monitor relies on is the key map, not the registry's history endpoint: at each check it
 * takes its identity's head as the map of a fresh, verified checkpoint holds it (the lookup's map
 * proof), so a head it did not make is reported even when the history leaves the record out. The
 * history is then checked against that head (INCOMPLETE_HISTORY when it is not complete).
 */
import type { RegistryClient } from './client.js';
import { VerificationError } from './errors.js';
import type { VerifiedRegistryCheckpoint } from './map-verify.js';
import { recordHash } from '../protocol/signing.js';
import type { VerifiedHistoryEntry } from './verify.js';

export interface MonitorChange extends VerifiedHistoryEntry {
  /** False for a record whose hash is not among the owner's `knownHashes`: someone else made it. */
  expected: boolean;
}

/** The identity's head as the key map holds it at the checkpoint of the check. */
export interface MonitorHead {
  index: number;
  hash: string;
  seq: number;
  status: 'active' | 'revoked';
  /** False when its hash is not among the owner's `knownHashes`: someone else made it. */
  expected: boolean;
  /** The verified checkpoint whose map holds this head (`checkpoint.time`: as of when). */
  checkpoint: VerifiedRegistryCheckpoint;
}

export interface MonitorReport {
  userId: string;
  /** Records accepted since the last check, in log order, each verified to be in the log. */
  changes: MonitorChange[];
  /**
   * Changes the owner did not expect (empty when `knownHashes` was not given): a new head the
   * owner did not make is among them even when the history left it out (see `historyError`).
   */
  unexpected: MonitorChange[];
  /** The head the key map holds for the identity now. */
  head: MonitorHead;
  /** The log index up to which the identity has now been checked. */
  checkedThrough: number;
  /**
   * Set when the registry's audit history failed its checks (e.g. INCOMPLETE_HISTORY: it left
   * records out). `changes` then holds only the live chain's new records, as the verified lookup
   * shows them, and `checkedThrough` did not move: the next check looks again.
   */
  historyError?: VerificationError;
}

export interface MonitorOptions {
  /** Hashes of the records the owner made; any other new record is reported as unexpected. */
  knownHashes?: Iterable<string>;
}

/**
 * Reports every record about `userId` accepted since this client's last `monitor` call (all of
 * them the first time), and the head the key map holds for it now. The position is kept in the
 * client's store, so a FileStore or LocalStorageStore makes it survive restarts.
 * @throws VerificationError when the lookup fails its checks (STALE_ANSWER, STALE_CHECKPOINT, …):
 * then nothing is known about the identity's head.
 */
export async function monitor(client: RegistryClient, userId: string, options: MonitorOptions = {}): Promise<MonitorReport> {
  const state = `monitor:${userId}`;
  const saved = await client.loadState(state);
  const since = saved === null ? -1 : (JSON.parse(saved) as { through: number }).through;
  const known = options.knownHashes === undefined ? null : new Set(options.knownHashes);
  const isExpected = (hash: string) => known === null || known.has(hash);

  // The map's head first: this is what a registry cannot leave out.
  const identity = await client.lookup(userId);
  const { checkpoint } = identity;
  const head: MonitorHead = { index: identity.head.index, hash: identity.head.hash, seq: identity.head.seq, status: identity.status, expected: isExpected(identity.head.hash), checkpoint };

  let entries: VerifiedHistoryEntry[];
  let historyError: VerificationError | undefined;
  try {
    entries = (await client.history(userId, { from: since + 1, identity })).entries;
  } catch (error) {
    if (!(error instanceof VerificationError)) throw error;
    // The history is not to be trusted; the verified live chain still shows every live record.
    historyError = error;
    entries = identity.entries.map((e) => ({ ...e, hash: recordHash(e.record), nullified: false }));
  }
  const changes = entries.filter((e) => e.index > since).map((e) => ({ ...e, expected: isExpected(e.hash) }));
  const checkedThrough = historyError === undefined ? Math.max(since, checkpoint.size - 1) : since;
  await client.saveState(state, JSON.stringify({ through: checkedThrough }));
  return {
    userId,
    changes,
    unexpected: changes.filter((c) => !c.expected),
    head,
    checkedThrough,
    ...(historyError !== undefined ? { historyError } : {}),
  };
}
