/**
 * `peerkeys log verify`: re-verifies a registry's whole log from its public API alone, trusting
 * nothing but the pinned key. It replays /v1/log/entries (src/ledger/replay.ts: every record
 * checked by itself, every identity and group chain replayed in log order by the registry's own
 * rules with its acceptance times, the tree recomputed), and
 * requires the root at each checkpoint's size to be that checkpoint's root. Every checkpoint it
 * fetches is verified against the pinned key and checked for consistency with the last one this
 * client saw (RegistryClient and its state file).
 *
 * It folds the entries into the key map too (key-map-follow.ts): a checkpoint whose log root the
 * entries reproduce but whose map root is not their fold is MAP_ROOT_MISMATCH, reported with the
 * signed note as evidence; a checkpoint without map lines (a registry from before the key map) is
 * listed as having no map root to check.
 *
 * Progress is saved after every page in a cursor (audit-cursor.ts) while nothing is wrong, so an
 * interrupted run — or tomorrow's — continues where the last one stopped.
 */
import { bytesEqual, toBase64 } from '../protocol/encoding.js';
import { replayLog } from '../ledger/index.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { mapRootMismatch, type MapRootMismatch } from '../protocol/key-map-follow.js';
import { rootFromFrontier, verifyConsistency } from '../protocol/merkle.js';
import type { RegistryFeed } from '../mirror/registry-feed.js';
import { isRegistryCheckpoint } from '../protocol/checkpoint.js';
import { CheckpointError, VerificationError } from '../sdk/errors.js';
import type { VerifiedCheckpoint } from '../sdk/verify.js';
import { freshCursor, loadCursor, saveCursor, type PendingCheckpoint } from './audit-cursor.js';
import { UsageError } from './command.js';

export interface LogVerifyOptions {
  feed: RegistryFeed;
  vkey: string;
  cursorPath: string;
  /** Ignore a saved cursor and verify from entry 0. */
  fromStart: boolean;
  /** Verify at most this many entries in this run, then save the cursor and stop. */
  maxEntries?: number;
  maxProblems?: number;
  onProgress?: (done: number, total: number) => void;
}

export interface LogVerifyReport {
  registry: string;
  origin: string;
  /** Where this run started (0, or where a saved cursor said). */
  resumedAt: number;
  /** Entries verified in order so far (this run and earlier ones). */
  verified: number;
  /** The registry's latest checkpoint, fetched at the start of the run (mapRoot and time null: it has none). */
  checkpoint: { size: number; root: string; mapRoot: string | null; time: number | null };
  /** Whether the run reached the checkpoint's size (false after --max-entries). */
  complete: boolean;
  /** Base64 root of the first `verified` entries. */
  root: string;
  /** Base64 key map root of the first `verified` entries (null: an entry could not be folded). */
  mapRoot: string | null;
  /** Set when the registry's signed checkpoints contradict each other or the records it serves. */
  fork: string | null;
  /** Set when a checkpoint's map root is not the fold of its entries: the evidence (exit 3). */
  mapRootMismatch: MapRootMismatch | null;
  /** Sizes of the checkpoints seen that have no map root to check (signed before the key map). */
  withoutMapRoot: number[];
  problems: Array<{ index: number | null; message: string }>;
}

export async function verifyRemoteLog(options: LogVerifyOptions): Promise<LogVerifyReport> {
  const { feed } = options;
  const maxProblems = options.maxProblems ?? 100;
  const problems: LogVerifyReport['problems'] = [];
  const problem = (index: number | null, message: string) => {
    if (problems.length < maxProblems) problems.push({ index, message });
  };

  const cursor = (options.fromStart ? null : loadCursor(options.cursorPath)) ?? freshCursor(options.vkey);
  if (cursor.vkey !== options.vkey) {
    throw new UsageError(`${options.cursorPath} is the cursor of another registry (${cursor.vkey.split('+')[0]}): pass another --cursor, or --from-start`);
  }
  const resumedAt = cursor.size;
  // Verified against the pinned key, and consistent with the last checkpoint this client saw:
  // a LOG_FORK VerificationError leaves here (exit 3).
  const checkpoint = await latestCheckpoint(feed);
  let fork: string | null = null;
  let mismatch: MapRootMismatch | null = null;
  const withoutMapRoot: number[] = [];
  const report = (complete: boolean): LogVerifyReport => {
    const mapRoot = cursor.map.root();
    return {
      registry: feed.url,
      origin: feed.key.name,
      resumedAt,
      verified: cursor.size,
      checkpoint: {
        size: checkpoint.size,
        root: toBase64(checkpoint.root),
        mapRoot: checkpoint.mapRoot === undefined ? null : toBase64(checkpoint.mapRoot),
        time: checkpoint.time ?? null,
      },
      complete,
      root: toBase64(rootFromFrontier(cursor.frontier)),
      mapRoot: mapRoot === null ? null : toBase64(mapRoot),
      fork,
      mapRootMismatch: mismatch,
      withoutMapRoot,
      problems,
    };
  };
  /** Compares a checkpoint of the size verified so far, whose log root matched, with the recomputed key map. */
  const checkMap = (seen: PendingCheckpoint) => {
    // A checkpoint kept by a cursor from before the key map has no note: nothing to show, so not compared.
    if (seen.note === undefined) return;
    const check = cursor.map.check({ origin: feed.key.name, size: seen.size, root: seen.root, ...(seen.mapRoot !== undefined ? { mapRoot: seen.mapRoot } : {}) });
    if (check.status === 'no-map-root' && !withoutMapRoot.includes(seen.size)) withoutMapRoot.push(seen.size);
    if (check.status === 'mismatch') mismatch ??= mapRootMismatch(check, seen.size, seen.note);
  };
  const pendingOf = (c: typeof checkpoint): PendingCheckpoint => ({ size: c.size, root: c.root, ...(c.mapRoot !== undefined ? { mapRoot: c.mapRoot } : {}), note: c.note });

  if (checkpoint.size <= cursor.size) {
    // Nothing new: the registry's checkpoint must describe a prefix of what was verified.
    const root = rootFromFrontier(cursor.frontier);
    const consistent =
      checkpoint.size === cursor.size
        ? bytesEqual(root, checkpoint.root)
        : checkpoint.size === 0 || verifyConsistency(checkpoint.size, cursor.size, await feed.consistencyProof(checkpoint.size, cursor.size), checkpoint.root, root);
    if (!consistent) fork = `the registry's checkpoint of size ${checkpoint.size} does not describe the log of ${cursor.size} entries verified before`;
    // Of a smaller size (an older view), its map root cannot be recomputed from the cursor, which keeps only the latest map.
    else if (checkpoint.size === cursor.size) checkMap(pendingOf(checkpoint));
    return report(true);
  }

  if (!cursor.pending.some((c) => c.size === checkpoint.size)) cursor.pending.push(pendingOf(checkpoint));
  const target = options.maxEntries === undefined ? checkpoint.size : Math.min(checkpoint.size, cursor.size + options.maxEntries);
  let recordsOk = true;
  /** Compares the recomputed root with any checkpoint seen for the current size. */
  const checkRoot = () => {
    const due = cursor.pending.filter((c) => c.size === cursor.size);
    if (due.length === 0) return;
    cursor.pending = cursor.pending.filter((c) => c.size !== cursor.size);
    const root = rootFromFrontier(cursor.frontier);
    for (const seen of due) {
      if (bytesEqual(root, seen.root)) {
        checkMap(seen);
        continue;
      }
      const message = `the entries up to index ${cursor.size - 1} do not produce the root of the registry's checkpoint of size ${seen.size}`;
      // Records that each verify but are not the log the registry signed: two histories (a fork).
      // With bad records among them, the bad records are the finding.
      if (recordsOk) fork ??= message;
      else problem(null, message);
    }
  };

  await replayLog(feed, {
    ledger: cursor.ledger,
    verify: nodeVerify,
    from: { size: cursor.size, frontier: cursor.frontier },
    to: target,
    onProblem: (error) => {
      recordsOk = false;
      problem(error.index, error.message);
    },
    onEntry: ({ entry }, tree) => {
      cursor.size = tree.size;
      cursor.frontier = tree.frontier;
      cursor.latestAcceptedAt = Math.max(cursor.latestAcceptedAt, entry.acceptedAtMs);
      cursor.map.fold(entry);
      checkRoot();
    },
    onPage: () => {
      // Only a clean prefix is remembered: a re-run checks a bad page again.
      if (recordsOk && fork === null && mismatch === null) saveCursor(options.cursorPath, cursor);
      options.onProgress?.(cursor.size, target);
    },
  });

  // Every checkpoint fetched must be consistent: the one fetched now with the one at the start.
  const last = await latestCheckpoint(feed);
  // Two checkpoints of one size have the same map root: one signed meanwhile for the size reached is checked too.
  if (last.size === cursor.size && bytesEqual(last.root, rootFromFrontier(cursor.frontier))) checkMap(pendingOf(last));
  return report(cursor.size === checkpoint.size);
}

/**
 * The registry's latest checkpoint, verified against the pinned key and checked by the SDK against
 * the last one this client saw (LOG_FORK). A checkpoint without map lines, from a registry older
 * than the key map, is one SDK clients refuse (BAD_CHECKPOINT, MALFORMED: it proves no answer the
 * latest); a verifier still checks the log against it (DESIGN.md §5.1) — its signature, and its
 * consistency with the client's last checkpoint, which it leaves as it is.
 */
async function latestCheckpoint(feed: RegistryFeed): Promise<VerifiedCheckpoint> {
  try {
    return await feed.client.checkpoint();
  } catch (error) {
    if (!(error instanceof CheckpointError && error.reason === 'MALFORMED')) throw error;
    const served = await feed.checkpoint();
    if (isRegistryCheckpoint(served)) throw error;
    const last = await feed.client.lastCheckpoint();
    if (last === null) return served;
    const [older, newer] = last.size <= served.size ? [last, served] : [served, last];
    const consistent =
      older.size === newer.size
        ? bytesEqual(older.root, newer.root)
        : older.size === 0 || verifyConsistency(older.size, newer.size, await feed.consistencyProof(older.size, newer.size), older.root, newer.root);
    if (!consistent) throw new VerificationError('LOG_FORK', `the registry's checkpoint of size ${served.size} is not consistent with the one of size ${last.size} this client saw`);
    return served;
  }
}
