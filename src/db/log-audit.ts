/**
 * verify-log: re-reads the whole stored log and trusts none of it. The log is replayed from the
 * database (src/ledger/replay.ts over databaseLogSource): every record canonical, parsing by its
 * kind's schema, its signatures verifying and its chain's rules holding in log order with the
 * stored acceptance times. Around the replay, what only the database has: every completed subtree
 * recomputes to what is stored; every checkpoint's root recomputes and its signature verifies; the
 * identity and group tables agree with the replayed state. Each problem is reported with the log
 * index it concerns.
 *
 * The entries are folded into the key map too (protocol/key-map-follow.ts): a validly signed
 * checkpoint whose log root the entries reproduce but whose map root is not their fold is a
 * MAP_ROOT_MISMATCH — not a problem of the database but the registry's key signing a false map,
 * reported apart with the note as evidence. Checkpoints without map lines (signed before the key
 * map) are counted: there is no map root in them to check.
 */
import { groupKind, identityKind, isWriteOf, LedgerState, replayLog, type ReplayedEntry } from '../ledger/index.js';
import type { LogKey } from '../node/log-key.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { parseCheckpointNote, verifyCheckpointNote } from '../protocol/checkpoint.js';
import { bytesEqual, toBase64 } from '../protocol/encoding.js';
import { FoldedKeyMap, mapRootMismatch, type MapRootMismatch } from '../protocol/key-map-follow.js';
import { rootFromFrontier, subtreeKey, type StoredSubtree } from '../protocol/merkle.js';
import {
  readAllCheckpoints,
  readAllGroupHeads,
  readAllGroupMembers,
  readAllHeads,
  readGroupRows,
  readIdentityRows,
  readLogStateSize,
} from './audit-repository.js';
import type { DbClient } from './client.js';
import { databaseLogSource } from './database-log-source.js';
import type { Database, Sql } from './database.js';
import { readSubtrees } from './log-repository.js';

export interface AuditProblem {
  /** The log index concerned, or null for problems of the log as a whole. */
  index: number | null;
  message: string;
}

export interface AuditReport {
  entries: number;
  checkpoints: number;
  root: string;
  /** The key map root of the whole log (null: an entry could not be folded, a problem of its own). */
  mapRoot: string | null;
  /** How many checkpoints have no map root to check (signed before the key map). */
  withoutMapRoot: number;
  /** The first validly signed checkpoint whose map root is not the fold of its entries, or null. */
  mapRootMismatch: MapRootMismatch | null;
  problems: AuditProblem[];
}

export interface AuditOptions {
  pageSize?: number;
  /** Called after each page with the number of entries checked and the total expected. */
  onProgress?: (checked: number, total: number) => void;
  /** Stop collecting after this many problems (the first ones are the useful ones). */
  maxProblems?: number;
}

type Report = (index: number | null, message: string) => void;

export async function auditLog(db: Database, key: LogKey, options: AuditOptions = {}): Promise<AuditReport> {
  const maxProblems = options.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  const report: Report = (index, message) => {
    if (problems.length < maxProblems) problems.push({ index, message });
  };

  const prisma = db.prisma;
  const total = await readLogStateSize(prisma);
  const checkpoints = await readAllCheckpoints(prisma);
  const checkpointsBySize = new Map(checkpoints.map((c) => [c.size, c]));
  const ledger = new LedgerState();
  const map = new FoldedKeyMap();
  /** Checkpoints whose map root differs, signature not yet checked: only a signed one is evidence. */
  const mapMismatches: MapRootMismatch[] = [];
  let withoutMapRoot = 0;
  /** What identity_records says nullified each record, to compare with the replay. */
  const storedNullifiedBy = new Map<number, number | null>();

  /** Compares the checkpoint stored for `size`, if any, with the recomputed root. */
  const checkCheckpoint = (size: number, frontier: StoredSubtree[]) => {
    const checkpoint = checkpointsBySize.get(size);
    if (checkpoint === undefined) return;
    const at = size === 0 ? null : size - 1;
    const root = rootFromFrontier(frontier);
    if (!bytesEqual(root, checkpoint.root)) report(at, `checkpoint of size ${size}: the stored root differs from the recomputed root`);
    const text = parseCheckpointNote(checkpoint.note);
    if (text === null || text.size !== size || !bytesEqual(text.root, root) || text.origin !== key.origin) {
      report(at, `checkpoint of size ${size}: the signed note does not state this origin, size and root`);
      return;
    }
    // The entries are the ones the note signs: its map root must be their fold.
    const check = map.check(text);
    if (check.status === 'no-map-root') withoutMapRoot++;
    if (check.status === 'mismatch') mapMismatches.push(mapRootMismatch(check, size, checkpoint.note));
  };

  checkCheckpoint(0, []);
  const tree = await replayLog(databaseLogSource(db, options.pageSize), {
    ledger,
    verify: nodeVerify,
    to: Number.MAX_SAFE_INTEGER,
    onProblem: (problem) => report(problem.index, problem.message),
    onEntry: ({ entry }, { size, frontier }) => {
      map.fold(entry);
      checkCheckpoint(size, frontier);
    },
    onPage: async (page, completed, { size }) => {
      await compareRows(prisma, page, storedNullifiedBy, report);
      await compareSubtrees(db, completed, report);
      options.onProgress?.(size, total);
    },
  });
  const size = tree.size;

  if (size !== total) report(null, `log_state says the log has ${total} entries; ${size} were read in order`);
  const latest = checkpoints[checkpoints.length - 1];
  if (latest === undefined || latest.size !== size) report(null, `the latest checkpoint is of size ${latest?.size ?? 'none'}; the log has ${size} entries`);
  const signed = new Set<number>();
  for (const checkpoint of checkpoints) {
    if (checkpoint.size > size) report(null, `a checkpoint of size ${checkpoint.size} exists beyond the log's ${size} entries`);
    if ((await verifyCheckpointNote(checkpoint.note, key.noteKey, nodeVerify)) === null) {
      report(checkpoint.size === 0 ? null : checkpoint.size - 1, `the checkpoint of size ${checkpoint.size} is not validly signed by ${key.vkey}`);
    } else signed.add(checkpoint.size);
  }
  // A mismatch in a note the key did not sign is that problem (reported just above), not evidence.
  const mismatch = mapMismatches.find((m) => signed.has(m.size)) ?? null;
  const nullifiedBy = ledger.of(identityKind).nullifiedBy;
  for (const [index, by] of storedNullifiedBy) {
    if ((nullifiedBy.get(index) ?? null) !== by) report(index, 'identity_records marks this record nullified differently from the replay');
  }
  await compareHeads(prisma, ledger, report);

  const mapRoot = map.root();
  return {
    entries: size,
    checkpoints: checkpoints.length,
    root: toBase64(rootFromFrontier(tree.frontier)),
    mapRoot: mapRoot === null ? null : toBase64(mapRoot),
    withoutMapRoot,
    mapRootMismatch: mismatch,
    problems,
  };
}

/** The identity_records and group_records rows of a page must describe its records. */
async function compareRows(db: DbClient, page: ReplayedEntry[], storedNullifiedBy: Map<number, number | null>, report: Report): Promise<void> {
  const identities = page.flatMap(({ entry, write }) => (write !== null && isWriteOf(write, identityKind) ? [{ index: entry.index, write }] : []));
  const groups = page.flatMap(({ entry, write }) => (write !== null && isWriteOf(write, groupKind) ? [{ index: entry.index, write }] : []));
  const identityRows = await readIdentityRows(db, identities.map((e) => e.index));
  const groupRows = await readGroupRows(db, groups.map((e) => e.index));
  for (const { index, write } of identities) {
    const row = identityRows.get(index);
    const { record } = write;
    if (row === undefined) {
      report(index, 'the entry has no identity_records row');
      continue;
    }
    if (row.hash !== write.hash || row.userId !== record.userId || row.seq !== record.seq) report(index, 'the identity_records row does not describe this record');
    storedNullifiedBy.set(index, row.nullifiedBy);
  }
  for (const { index, write } of groups) {
    const row = groupRows.get(index);
    const { record } = write;
    if (row === undefined) report(index, 'the entry has no group_records row');
    else if (row.hash !== write.hash || row.groupId !== record.groupId || row.seq !== record.seq || row.prevHash !== record.prev || row.adminId !== record.adminId || row.signer !== record.signer) {
      report(index, 'the group_records row does not describe this record');
    }
  }
}

/** The stored subtrees a page's leaves complete must be the recomputed ones. */
async function compareSubtrees(db: Sql, completed: StoredSubtree[], report: Report): Promise<void> {
  const stored = new Map((await readSubtrees(db, completed)).map((s) => [subtreeKey(s), s.hash]));
  for (const node of completed) {
    const hash = stored.get(subtreeKey(node));
    const first = node.index * 2 ** node.level;
    if (hash === undefined) report(first, `the stored subtree (level ${node.level}, index ${node.index}) is missing`);
    else if (!bytesEqual(hash, node.hash)) {
      report(
        first,
        node.level === 0
          ? `the stored leaf hash of entry ${first} differs from the recomputed one`
          : `the stored subtree over entries ${first}–${first + 2 ** node.level - 1} differs from the recomputed one`,
      );
    }
  }
}

/** The identities, groups and group_members tables must hold the replayed heads, and nothing else. */
async function compareHeads(db: DbClient, ledger: LedgerState, report: Report): Promise<void> {
  const chains = ledger.of(identityKind).chains;
  const heads = await readAllHeads(db);
  for (const [userId, chain] of chains) {
    const head = chain[chain.length - 1]!;
    const stored = heads.get(userId);
    if (stored === undefined || stored.index !== head.index || stored.hash !== head.hash) report(head.index, `the stored head of ${userId} is not the replayed head`);
  }
  for (const userId of heads.keys()) if (!chains.has(userId)) report(null, `identity ${userId} has a head but no records in the log`);

  const groups = ledger.of(groupKind).heads;
  const groupHeads = await readAllGroupHeads(db);
  const members = await readAllGroupMembers(db);
  for (const [groupId, head] of groups) {
    const stored = groupHeads.get(groupId);
    if (stored === undefined || stored.index !== head.index || stored.hash !== head.hash || stored.seq !== head.record.seq || stored.name !== head.record.name) {
      report(head.index, `the stored head of group ${groupId} is not the replayed head`);
    }
    const expected = head.record.members.map((m) => `${m.userId} ${m.role} ${m.publicKey} ${m.publicBoxKey}`).sort();
    if (JSON.stringify(members.get(groupId) ?? []) !== JSON.stringify(expected)) {
      report(head.index, `group_members of group ${groupId} differ from the members of its replayed head`);
    }
  }
  for (const groupId of groupHeads.keys()) if (!groups.has(groupId)) report(null, `group ${groupId} has a head but no records in the log`);
  for (const groupId of members.keys()) if (!groupHeads.has(groupId)) report(null, `group ${groupId} has members but no head`);
}
