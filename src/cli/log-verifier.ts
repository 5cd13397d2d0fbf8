/**
 * `peerkeys log verify`: re-verifies a registry's whole log from its public API alone, trusting
 * nothing but the pinned key. It pages through /v1/log/entries, checks every record by itself
 * (schema, signatures: mirror/entry-kinds.ts), replays every identity and group chain in log order
 * (the registry's own rules, with its acceptance times), recomputes the tree, and
 * requires the root at each checkpoint's size to be that checkpoint's root. Every checkpoint it
 * fetches is verified against the pinned key and checked for consistency with the last one this
 * client saw (RegistryClient and its state file).
 *
 * Progress is saved after every page in a cursor (audit-cursor.ts) while nothing is wrong, so an
 * interrupted run — or tomorrow's — continues where the last one stopped.
 */
import { bytesEqual, toBase64 } from '../protocol/encoding.js';
import { ProtocolError } from '../protocol/errors.js';
import type { GroupRecord } from '../protocol/group.js';
import { GroupReplay, type GroupChainEntry } from '../protocol/group-rules.js';
import type { IdentityRecord } from '../protocol/identity.js';
import { IdentityReplay } from '../protocol/identity-rules.js';
import { appendToFrontier, rootFromFrontier, verifyConsistency } from '../protocol/merkle.js';
import { admitEntry, InvalidEntry, UnknownEntryKind, type AdmittedEntry } from '../mirror/entry-kinds.js';
import type { RegistryFeed } from '../mirror/registry-feed.js';
import { freshCursor, loadCursor, saveCursor, type AuditCursor } from './audit-cursor.js';
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

/** Replays one entry's record by its kind's chain rules; kinds without chains need none. */
type ChainReplay = (entry: AdmittedEntry, cursor: AuditCursor) => void;

const CHAIN_REPLAYS: Record<string, ChainReplay> = {
  identity(entry, cursor) {
    const record = entry.write.record as IdentityRecord;
    const replay = cursor.replays.get(record.userId) ?? new IdentityReplay();
    cursor.replays.set(record.userId, replay);
    replay.apply({ record, hash: entry.write.hash, acceptedAt: entry.acceptedAtMs, index: entry.index });
  },
  group(entry, cursor) {
    const record = entry.write.record as GroupRecord;
    const replay = cursor.groups.get(record.groupId) ?? new GroupReplay<GroupChainEntry & { index: number }>();
    cursor.groups.set(record.groupId, replay);
    // The signing admin's identity as the log stood just before this entry (DESIGN.md §4).
    const admin = cursor.replays.get(record.adminId)?.live.at(-1);
    replay.apply({ record, hash: entry.write.hash, index: entry.index }, admin === undefined ? null : { publicKey: admin.record.publicKey, status: admin.record.status });
  },
};

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

  for await (const page of feed.entries(cursor.size, target)) {
    for (const entry of page) {
      try {
        const admitted = await admitEntry(entry);
        CHAIN_REPLAYS[admitted.write.kind]?.(admitted, cursor);
      } catch (error) {
        recordsOk = false;
        if (error instanceof InvalidEntry || error instanceof UnknownEntryKind) problem(entry.index, error.message);
        else if (error instanceof ProtocolError) problem(entry.index, `the chain rules refuse this record when replayed (${error.code}): ${error.message}`);
        else throw error;
      }
      // A bad record still takes its place in the tree, so the roots stay comparable.
      cursor.frontier = appendToFrontier(cursor.frontier, [entry.leaf]).frontier;
      cursor.size++;
      cursor.latestAcceptedAt = Math.max(cursor.latestAcceptedAt, entry.acceptedAtMs);
      checkRoot();
    }
    // Only a clean prefix is remembered: a re-run checks a bad page again.
    if (recordsOk && fork === null) saveCursor(options.cursorPath, cursor);
    options.onProgress?.(cursor.size, target);
  }

  // Every checkpoint fetched must be consistent: the one fetched now with the one at the start.
  await feed.client.checkpoint();
  return report(cursor.size === checkpoint.size);
}
