/**
 * Where `peerkeys log verify` stopped, so that the next run continues there: the tree's frontier
 * (the perfect subtree hashes on its right edge, all that is needed to extend it and to compute
 * its root), the checkpoints seen for sizes not reached yet, and the replay state of every identity
 * and group chain — the records the chain rules may still need (a group needs only its head).
 *
 * The key map (DESIGN.md §5.1) needs no state of its own: the cursor is only saved over a prefix
 * of the log whose every record was accepted, and there each key's map value — the last record
 * logged for it — is its chain's head, which the replay state always keeps. So the map is rebuilt
 * from those heads when the cursor is loaded (cursors written before the key map included).
 *
 * Which records those are: the head, to check the next update; and each earlier live record whose
 * successor was accepted within the recovery window, since a recovery may still fork from it
 * (DESIGN.md §2). Older ones can never matter again: a record naming them would be refused
 * anyway (LATE_RECOVERY, or PREV_MISMATCH once they are gone), so they are dropped — a day of
 * slack covers acceptance times that are not quite monotonic across registry processes.
 */
import { randomBytes } from 'node:crypto';
import { mkdirSync, readFileSync, renameSync, writeFileSync } from 'node:fs';
import { dirname } from 'node:path';
import * as z from 'zod';
import { fromBase64Url, toBase64Url } from '../protocol/encoding.js';
import { FoldedKeyMap } from '../protocol/key-map-follow.js';
import { KeyMap } from '../protocol/key-map-tree.js';
import type { IdentityRecord } from '../protocol/identity.js';
import { RECOVERY_WINDOW_MS, type IdentityLogEntry } from '../protocol/identity-rules.js';
import type { GroupRecord } from '../protocol/group.js';
import { groupKind, identityKind, LedgerState } from '../ledger/index.js';
import type { StoredSubtree } from '../protocol/merkle.js';
import { UsageError } from './command.js';

const FORMAT = 'peerkeys-log-verify-cursor/1';
const SLACK_MS = 24 * 60 * 60 * 1000;

export interface AuditCursor {
  vkey: string;
  /** Entries verified so far: the next run starts at this index. */
  size: number;
  frontier: StoredSubtree[];
  /**
   * Checkpoints fetched for sizes beyond `size`: the recomputed roots must match when it gets there.
   * `note` (the signed checkpoint, the evidence) is kept from this version on.
   */
  pending: PendingCheckpoint[];
  /** The latest acceptance time seen, in ms. */
  latestAcceptedAt: number;
  /** The chains' state as the replay left it (identities' live chains, groups' heads). */
  ledger: LedgerState;
  /** The key map of the first `size` entries. */
  map: FoldedKeyMap;
}

export interface PendingCheckpoint {
  size: number;
  root: Uint8Array;
  mapRoot?: Uint8Array;
  note?: string;
}

const b64 = z.string().transform((text, ctx) => fromBase64Url(text, 32) ?? (ctx.addIssue({ code: 'custom', message: 'not a hash' }), z.NEVER));

const fileSchema = z.strictObject({
  format: z.literal(FORMAT),
  vkey: z.string(),
  size: z.int().min(0),
  frontier: z.array(z.tuple([z.int().min(0), z.int().min(0), b64])),
  pending: z.array(z.strictObject({ size: z.int().min(0), root: b64, mapRoot: b64.optional(), note: z.string().optional() })),
  latestAcceptedAt: z.int(),
  identities: z.record(z.string(), z.array(z.strictObject({ index: z.int().min(0), acceptedAt: z.int(), hash: z.string(), record: z.unknown() }))),
  groups: z.record(z.string(), z.strictObject({ index: z.int().min(0), hash: z.string(), record: z.unknown() })).default({}),
});

export function freshCursor(vkey: string): AuditCursor {
  return { vkey, size: 0, frontier: [], pending: [], latestAcceptedAt: 0, ledger: new LedgerState(), map: new FoldedKeyMap() };
}

/** The key map whose values are the ledger's chain heads (see above: the fold, over a clean prefix). */
export function keyMapOfHeads(ledger: LedgerState): KeyMap {
  const map = new KeyMap();
  const heads = [
    ...[...ledger.of(identityKind).chains.keys()].map((id) => identityKind.head(ledger.of(identityKind), id)!),
    ...[...ledger.of(groupKind).heads.keys()].map((id) => groupKind.head(ledger.of(groupKind), id)!),
  ];
  for (const head of heads) {
    const recordHash = fromBase64Url(head.hash, 32);
    if (recordHash === null) throw new UsageError(`the cursor's head of ${head.id} has a malformed hash: delete the cursor, or pass --from-start`);
    map.set({ kind: head.kind === 'group' ? 'group' : 'user', id: head.id }, { recordHash, index: head.index, seq: head.seq, status: head.status });
  }
  return map;
}

/** The cursor saved at `path`, or null when there is none. */
export function loadCursor(path: string): AuditCursor | null {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return null;
    throw error;
  }
  const parsed = fileSchema.safeParse(safeJson(text));
  if (!parsed.success) throw new UsageError(`${path} is not a log verify cursor: delete it, or pass --from-start`);
  const data = parsed.data;
  const ledger = new LedgerState();
  // The records were verified when they were first read; the cursor is this machine's own file.
  const chains = ledger.of(identityKind).chains;
  for (const [userId, entries] of Object.entries(data.identities)) {
    chains.set(userId, entries.map((e) => ({ index: e.index, acceptedAt: e.acceptedAt, hash: e.hash, record: e.record as IdentityRecord })));
  }
  // A group's acceptance time is never read by its rules (groups have no recovery window).
  const heads = ledger.of(groupKind).heads;
  for (const [groupId, head] of Object.entries(data.groups)) heads.set(groupId, { index: head.index, acceptedAt: 0, hash: head.hash, record: head.record as GroupRecord });
  return {
    vkey: data.vkey,
    size: data.size,
    frontier: data.frontier.map(([level, index, hash]) => ({ level, index, hash })),
    pending: data.pending.map(({ size, root, mapRoot, note }) => ({ size, root, ...(mapRoot !== undefined ? { mapRoot } : {}), ...(note !== undefined ? { note } : {}) })),
    latestAcceptedAt: data.latestAcceptedAt,
    ledger,
    map: new FoldedKeyMap(keyMapOfHeads(ledger), data.size),
  };
}

/** Drops the replay state no later record can need (see above), in place. */
export function pruneReplays(cursor: AuditCursor): void {
  const cutoff = cursor.latestAcceptedAt - RECOVERY_WINDOW_MS - SLACK_MS;
  const identities = cursor.ledger.of(identityKind);
  for (const live of identities.chains.values()) {
    let keepFrom = live.length - 1;
    // live[i] is still needed while its successor live[i + 1] was accepted after the cutoff.
    while (keepFrom > 0 && live[keepFrom]!.acceptedAt > cutoff) keepFrom--;
    if (keepFrom > 0) live.splice(0, keepFrom);
  }
  identities.nullifiedBy.clear(); // only for the registry's tables; a verifier of the whole log does not need it
}

/** Writes the cursor atomically (a temporary file renamed over the old one). */
export function saveCursor(path: string, cursor: AuditCursor): void {
  pruneReplays(cursor);
  const identities: Record<string, Array<Omit<IdentityLogEntry, 'acceptedAt'> & { acceptedAt: number }>> = {};
  for (const [userId, live] of cursor.ledger.of(identityKind).chains) identities[userId] = live.map((e) => ({ index: e.index, acceptedAt: e.acceptedAt, hash: e.hash, record: e.record }));
  const groups: Record<string, { index: number; hash: string; record: unknown }> = {};
  for (const [groupId, head] of cursor.ledger.of(groupKind).heads) groups[groupId] = { index: head.index, hash: head.hash, record: head.record };
  const body = {
    format: FORMAT,
    vkey: cursor.vkey,
    size: cursor.size,
    frontier: cursor.frontier.map((s) => [s.level, s.index, toBase64Url(s.hash)]),
    pending: cursor.pending.map((c) => ({
      size: c.size,
      root: toBase64Url(c.root),
      ...(c.mapRoot !== undefined ? { mapRoot: toBase64Url(c.mapRoot) } : {}),
      ...(c.note !== undefined ? { note: c.note } : {}),
    })),
    latestAcceptedAt: cursor.latestAcceptedAt,
    identities,
    groups,
  };
  mkdirSync(dirname(path), { recursive: true });
  const temporary = `${path}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
  writeFileSync(temporary, JSON.stringify(body), { mode: 0o600 });
  renameSync(temporary, path);
}

function safeJson(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return null;
  }
}
