/**
 * The ledger's state in the registry's tables (identities, groups and their records): loaded for
 * the chains a batch touches, under the log lock, and written back once the batch is decided.
 * Shared by the registry's LogWriter and a mirror's copy of another registry's log, so both keep
 * the same tables the same way.
 */
import { groupKind, identityKind, isWriteOf, type ChainRef, type EntryKind, type KindRecord, type Write, type LedgerState, type LogWrite, type StateStore } from '../ledger/index.js';
import type { GroupState, IdentityState } from '../ledger/index.js';
import type { GroupRecord } from '../protocol/group.js';
import type { IdentityRecord } from '../protocol/identity.js';
import type { BatchStatement, Sql, SqlSession } from './database.js';
import { groupChangeStatements, readGroupHeads, type GroupHead } from './group-repository.js';
import { identityChangeStatements, readLiveChains, type IdentityHead, type NewIdentityRecord } from './identity-repository.js';

/** An accepted write and where it went in the log. */
export interface DecidedWrite {
  write: LogWrite;
  index: number;
}

/**
 * How one entry kind's state is kept in tables: loaded for the chains of `ids`, and written back
 * for the writes of a batch. A kind without tables (a log-only kind) needs none: its entries are
 * in the log, and every follower replays it from there.
 */
interface KindTables<R extends KindRecord, S> {
  kind: EntryKind<R, S>;
  load(db: Sql, state: S, ids: string[]): Promise<void>;
  /** The statements that write the batch's changes to the kind's tables. */
  persist(state: S, decided: ReadonlyArray<{ write: Write<R, S>; index: number }>): BatchStatement[];
}

const identityTables: KindTables<IdentityRecord, IdentityState> = {
  kind: identityKind,
  async load(db, state, userIds) {
    for (const [userId, chain] of await readLiveChains(db, userIds)) state.chains.set(userId, chain);
  },
  persist: persistIdentities,
};

const groupTables: KindTables<GroupRecord, GroupState> = {
  kind: groupKind,
  async load(db, state, groupIds) {
    for (const [groupId, head] of await readGroupHeads(db, groupIds)) state.heads.set(groupId, head);
  },
  persist: persistGroups,
};

/** Each kind's tables, by kind type: one load and one persist per kind and batch, whatever its size. */
const TABLES: ReadonlyMap<string, BoundTables> = new Map([
  [identityKind.type, bind(identityTables)],
  [groupKind.type, bind(groupTables)],
]);

interface BoundTables {
  load(db: Sql, ledger: LedgerState, ids: string[]): Promise<void>;
  persist(ledger: LedgerState, decided: readonly DecidedWrite[]): BatchStatement[];
}

/** Binds a kind's tables to its state in a ledger and to its writes among a batch's. */
function bind<R extends KindRecord, S>(tables: KindTables<R, S>): BoundTables {
  return {
    load: (db: Sql, ledger: LedgerState, ids: string[]) => tables.load(db, ledger.of(tables.kind), ids),
    persist(ledger: LedgerState, decided: readonly DecidedWrite[]) {
      const mine = ofKind(decided, tables.kind);
      return mine.length > 0 ? tables.persist(ledger.of(tables.kind), mine) : [];
    },
  };
}

/** Reads, through `db`, the stored chains a batch's writes read: one statement per kind. */
export function databaseStateStore(db: Sql): StateStore {
  return {
    async load(ledger, refs) {
      for (const [type, tables] of TABLES) {
        const ids = [...new Set(refs.filter((r: ChainRef) => r.kind === type).map((r) => r.id))];
        if (ids.length > 0) await tables.load(db, ledger, ids);
      }
    },
  };
}

/**
 * The statements that write what `decided` changed, as `ledger` now holds it: every record, each
 * touched chain's head, and the stored records a recovery among them nullified. For a batch
 * (SqlSession.batch) in which the caller, holding the log lock, writes the log entries first.
 */
export function decidedStatements(ledger: LedgerState, decided: readonly DecidedWrite[]): BatchStatement[] {
  return [...TABLES.values()].flatMap((tables) => tables.persist(ledger, decided));
}

/** Writes what `decided` changed (decidedStatements). The caller holds the log lock and has inserted the log entries. */
export async function persistDecided(tx: Pick<SqlSession, 'batch'>, ledger: LedgerState, decided: readonly DecidedWrite[]): Promise<void> {
  await tx.batch(decidedStatements(ledger, decided));
}

function ofKind<R extends KindRecord, S>(decided: readonly DecidedWrite[], kind: EntryKind<R, S>): Array<{ write: Write<R, S>; index: number }> {
  return decided.flatMap(({ write, index }) => (isWriteOf(write, kind) ? [{ write, index }] : []));
}

/** Chains whose genesis is among `decided`, and the others `decided` moved, each once. */
function createdAndMoved(decided: ReadonlyArray<{ write: LogWrite }>): { created: Set<string>; moved: Set<string> } {
  const created = new Set<string>();
  const moved = new Set<string>();
  for (const { write } of decided) {
    const head = write.decision!.head;
    if (write.decision!.change === 'genesis') created.add(head.id);
    else if (!created.has(head.id)) moved.add(head.id);
  }
  return { created, moved };
}

function persistIdentities(state: IdentityState, decided: ReadonlyArray<{ write: Write<IdentityRecord, IdentityState>; index: number }>): BatchStatement[] {
  const indexes = new Set(decided.map((d) => d.index));
  const records: NewIdentityRecord[] = decided.map(({ write, index }) => ({
    index,
    record: write.record,
    hash: write.hash,
    nullifiedBy: state.nullifiedBy.get(index) ?? null,
  }));
  const nullified = [...state.nullifiedBy].filter(([gone, by]) => indexes.has(by) && !indexes.has(gone)).map(([index, by]) => ({ index, by }));
  const head = (userId: string): IdentityHead => {
    const entry = state.chains.get(userId)!.at(-1)!;
    return { userId, index: entry.index, hash: entry.hash, status: entry.record.status, publicKey: entry.record.publicKey };
  };
  const { created, moved } = createdAndMoved(decided);
  return identityChangeStatements({ created: [...created].map(head), moved: [...moved].map(head), records, nullified });
}

function persistGroups(state: GroupState, decided: ReadonlyArray<{ write: Write<GroupRecord, GroupState>; index: number }>): BatchStatement[] {
  const head = (groupId: string): GroupHead => state.heads.get(groupId)!;
  const { created, moved } = createdAndMoved(decided);
  return groupChangeStatements({
    created: [...created].map(head),
    moved: [...moved].map(head),
    records: decided.map(({ write, index }) => ({ index, hash: write.hash, record: write.record })),
  });
}
