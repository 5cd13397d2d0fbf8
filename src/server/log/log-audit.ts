/**
 * verify-log: re-reads the whole stored log and trusts none of it. For every entry, in order: the
 * record parses strictly and is stored in canonical form, its signatures verify, its chain rules
 * hold when replayed with the stored acceptance times (a group record's with its admin's identity
 * as replayed up to that entry), the leaf hash and every completed subtree recompute to what is
 * stored; every checkpoint's root recomputes and its signature verifies; the identity and group
 * tables agree with the replay. Each problem is reported with the log index it concerns.
 */
import type { Database } from '../../db/database.js';
import { readAllCheckpoints, readAllHeads, readEntriesPage, readIdentityRows, readLogStateSize, type StoredIdentityRow } from '../../db/audit-repository.js';
import { readSubtrees } from '../../db/log-repository.js';
import { parseCheckpointText, parseSignedNote, verifyCheckpointNote } from '../../protocol/checkpoint.js';
import { bytesEqual, toBase64 } from '../../protocol/encoding.js';
import { ProtocolError } from '../../protocol/errors.js';
import { parseGroupRecord, verifyGroupSignature, type GroupRecord } from '../../protocol/group.js';
import { parseIdentityRecord, verifyIdentitySignatures, type IdentityRecord } from '../../protocol/identity.js';
import { IdentityReplay } from '../../protocol/identity-rules.js';
import { canonicalJson, parseJson } from '../../protocol/json.js';
import { logLeafHash } from '../../protocol/log-entry.js';
import { appendToFrontier, rootFromFrontier, subtreeKey, type StoredSubtree } from '../../protocol/merkle.js';
import { recordHash } from '../../protocol/signing.js';
import { formatTimestamp } from '../../protocol/time.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { GroupAudit } from './group-audit.js';
import type { LogKey } from '../../node/log-key.js';

export interface AuditProblem {
  /** The log index concerned, or null for problems of the log as a whole. */
  index: number | null;
  message: string;
}

export interface AuditReport {
  entries: number;
  checkpoints: number;
  root: string;
  problems: AuditProblem[];
}

export interface AuditOptions {
  pageSize?: number;
  /** Called after each page with the number of entries checked and the total expected. */
  onProgress?: (checked: number, total: number) => void;
  /** Stop collecting after this many problems (the first ones are the useful ones). */
  maxProblems?: number;
}

export async function auditLog(db: Database, key: LogKey, options: AuditOptions = {}): Promise<AuditReport> {
  const pageSize = options.pageSize ?? 2000;
  const maxProblems = options.maxProblems ?? 100;
  const problems: AuditProblem[] = [];
  const report = (index: number | null, message: string) => {
    if (problems.length < maxProblems) problems.push({ index, message });
  };

  const prisma = db.prisma;
  const total = await readLogStateSize(prisma);
  const checkpoints = await readAllCheckpoints(prisma);
  const checkpointsBySize = new Map(checkpoints.map((c) => [c.size, c]));
  const replays = new Map<string, IdentityReplay>();
  /** What identity_records says nullified each record, to compare with the replay. */
  const storedNullifiedBy = new Map<number, { userId: string; by: number | null }>();
  const groups = new GroupAudit(prisma, report);
  /** A user's identity as the replay stands: just before the entry being checked. */
  const identityNow = (userId: string) => {
    const head = replays.get(userId)?.live.at(-1)?.record;
    return head === undefined ? null : { publicKey: head.publicKey, status: head.status };
  };
  let frontier: StoredSubtree[] = [];
  let size = 0;

  /** Compares the checkpoint stored for the current size, if any, with the recomputed root. */
  const checkCheckpoint = () => {
    const checkpoint = checkpointsBySize.get(size);
    if (checkpoint === undefined) return;
    const at = size === 0 ? null : size - 1;
    const root = rootFromFrontier(frontier);
    if (!bytesEqual(root, checkpoint.root)) report(at, `checkpoint of size ${size}: the stored root differs from the recomputed root`);
    const parsed = parseSignedNote(checkpoint.note);
    const text = parsed === null ? null : parseCheckpointText(parsed.text);
    if (text === null || text.size !== size || !bytesEqual(text.root, root) || text.origin !== key.origin) {
      report(at, `checkpoint of size ${size}: the signed note does not state this origin, size and root`);
    }
  };

  const replayIdentity = (index: number, acceptedAt: number, record: IdentityRecord, row: StoredIdentityRow | undefined) => {
    const hash = recordHash(record);
    const replay = replays.get(record.userId) ?? new IdentityReplay();
    replays.set(record.userId, replay);
    try {
      replay.apply({ record, hash, acceptedAt, index });
    } catch (error) {
      report(index, `the chain rules refuse this record when replayed: ${(error as Error).message}`);
    }
    if (row === undefined) return report(index, 'the entry has no identity_records row');
    if (row.hash !== hash || row.userId !== record.userId || row.seq !== record.seq) report(index, 'the identity_records row does not describe this record');
    storedNullifiedBy.set(index, { userId: record.userId, by: row.nullifiedBy });
  };

  checkCheckpoint();
  for (;;) {
    const page = await readEntriesPage(prisma, size, pageSize);
    if (page.length === 0) break;
    const identityRows = await readIdentityRows(prisma, page.filter((e) => e.kind === 'identity').map((e) => e.index));
    await groups.loadPage(page.filter((e) => e.kind === 'group').map((e) => e.index));
    const completed: StoredSubtree[] = [];
    for (const entry of page) {
      if (entry.index !== size) {
        report(size, `entries ${size}–${entry.index - 1} are missing`);
        break;
      }
      const acceptedAt = formatTimestamp(entry.acceptedAt.getTime());
      let record: IdentityRecord | GroupRecord | null = null;
      try {
        const value = parseJson(entry.record);
        if (canonicalJson(value) !== entry.record) report(entry.index, 'the stored record is not in canonical form');
        if (entry.kind === 'group') {
          record = parseGroupRecord(value);
          await verifyGroupSignature(record, nodeVerify);
        } else {
          if (entry.kind !== 'identity') throw new ProtocolError('INVALID_RECORD', `unknown entry kind ${entry.kind}`);
          record = parseIdentityRecord(value);
          await verifyIdentitySignatures(record, nodeVerify);
        }
      } catch (error) {
        report(entry.index, `the stored record does not verify: ${(error as Error).message}`);
      }
      if (record?.type === 'identity') replayIdentity(entry.index, entry.acceptedAt.getTime(), record, identityRows.get(entry.index));
      if (record?.type === 'group') groups.replay(entry.index, record, identityNow(record.adminId));
      // An unreadable record still takes its place in the tree, so later indexes stay aligned.
      const leaf = record === null ? logLeafHash(acceptedAt, { unreadable: entry.record }) : logLeafHash(acceptedAt, record);
      const step = appendToFrontier(frontier, [leaf]);
      frontier = step.frontier;
      completed.push(...step.completed);
      size++;
      checkCheckpoint();
    }
    // The stored subtrees these leaves complete must be the recomputed ones.
    const stored = new Map((await readSubtrees(prisma, completed)).map((s) => [subtreeKey(s), s.hash]));
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
    options.onProgress?.(size, total);
    if (page[page.length - 1]!.index !== size - 1) break; // a gap was reported; stop rather than misalign
  }

  if (size !== total) report(null, `log_state says the log has ${total} entries; ${size} were read in order`);
  const latest = checkpoints[checkpoints.length - 1];
  if (latest === undefined || latest.size !== size) report(null, `the latest checkpoint is of size ${latest?.size ?? 'none'}; the log has ${size} entries`);
  for (const checkpoint of checkpoints) {
    if (checkpoint.size > size) report(null, `a checkpoint of size ${checkpoint.size} exists beyond the log's ${size} entries`);
    if ((await verifyCheckpointNote(checkpoint.note, key.noteKey, nodeVerify)) === null) {
      report(checkpoint.size === 0 ? null : checkpoint.size - 1, `the checkpoint of size ${checkpoint.size} is not validly signed by ${key.vkey}`);
    }
  }
  for (const [index, { userId, by }] of storedNullifiedBy) {
    if ((replays.get(userId)?.nullifiedBy.get(index) ?? null) !== by) report(index, 'identity_records marks this record nullified differently from the replay');
  }
  const heads = await readAllHeads(prisma);
  for (const [userId, replay] of replays) {
    const head = replay.live[replay.live.length - 1];
    if (head === undefined) continue;
    const stored = heads.get(userId);
    if (stored === undefined || stored.index !== head.index || stored.hash !== head.hash) report(head.index, `the stored head of ${userId} is not the replayed head`);
  }
  for (const userId of heads.keys()) if (!replays.has(userId)) report(null, `identity ${userId} has a head but no records in the log`);
  await groups.finish();

  return { entries: size, checkpoints: checkpoints.length, root: toBase64(rootFromFrontier(frontier)), problems };
}
