/**
 * `peerkeys log verify`: re-verifies a registry's whole log from its public API alone, trusting
 * nothing but the pinned key. It replays /v1/log/entries (src/ledger/replay.ts: every record
 * checked by itself, every identity and group chain replayed in log order by the registry's own
 * rules with its acceptance times, the tree recomputed), and
 * requires the root at each checkpoint's size to be that checkpoint's root. Every checkpoint it
 * fetches is verified against the pinned key and checked for consistency with the last one this
 * client saw (RegistryClient and its state file).
 *
 * Progress is saved after every page in a cursor (audit-cursor.ts) while nothing is wrong, so an
 * interrupted run — or tomorrow's — continues where the last one stopped.
 */
import { bytesEqual, toBase64 } from '../protocol/encoding.js';
import { replayLog } from '../ledger/index.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { rootFromFrontier, verifyConsistency } from '../protocol/merkle.js';
import type { RegistryFeed } from '../mirror/registry-feed.js';
import { freshCursor, loadCursor, saveCursor } from './audit-cursor.js';
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
  /** The registry's latest checkpoint, fetched at the start of the run. */
  checkpoint: { size: number; root: string };
  /** Whether the run reached the checkpoint's size (false after --max-entries). */
  complete: boolean;
  /** Base64 root of the first `verified` entries. */
  root: string;
  /** Set when the registry's signed checkpoints contradict each other or the records it serves. */
  fork: string | null;
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
  const checkpoint = await feed.client.checkpoint();
  let fork: string | null = null;
  const report = (complete: boolean): LogVerifyReport => ({
    registry: feed.url,
    origin: feed.key.name,
    resumedAt,
    verified: cursor.size,
    checkpoint: { size: checkpoint.size, root: toBase64(checkpoint.root) },
    complete,
    root: toBase64(rootFromFrontier(cursor.frontier)),
    fork,
    problems,
  });

  if (checkpoint.size <= cursor.size) {
    // Nothing new: the registry's checkpoint must describe a prefix of what was verified.
    const root = rootFromFrontier(cursor.frontier);
    const consistent =
      checkpoint.size === cursor.size
        ? bytesEqual(root, checkpoint.root)
        : checkpoint.size === 0 || verifyConsistency(checkpoint.size, cursor.size, await feed.consistencyProof(checkpoint.size, cursor.size), checkpoint.root, root);
    if (!consistent) fork = `the registry's checkpoint of size ${checkpoint.size} does not describe the log of ${cursor.size} entries verified before`;
    return report(true);
  }

  if (!cursor.pending.some((c) => c.size === checkpoint.size)) cursor.pending.push({ size: checkpoint.size, root: checkpoint.root });
  const target = options.maxEntries === undefined ? checkpoint.size : Math.min(checkpoint.size, cursor.size + options.maxEntries);
  let recordsOk = true;
  /** Compares the recomputed root with any checkpoint seen for the current size. */
  const checkRoot = () => {
    const due = cursor.pending.filter((c) => c.size === cursor.size);
    if (due.length === 0) return;
    cursor.pending = cursor.pending.filter((c) => c.size !== cursor.size);
    const root = rootFromFrontier(cursor.frontier);
    for (const seen of due) {
      if (bytesEqual(root, seen.root)) continue;
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
      checkRoot();
    },
    onPage: () => {
      // Only a clean prefix is remembered: a re-run checks a bad page again.
      if (recordsOk && fork === null) saveCursor(options.cursorPath, cursor);
      options.onProgress?.(cursor.size, target);
    },
  });

  // Every checkpoint fetched must be consistent: the one fetched now with the one at the start.
  await feed.client.checkpoint();
  return report(cursor.size === checkpoint.size);
}
