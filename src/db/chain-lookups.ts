/**
 * The read behind every lookup bundle (DESIGN.md §6), in one statement so that it sees one
 * snapshot: the latest checkpoint, the head index of each asked-for chain, and — only where the
 * caller's cached copy is not at that head — the head record and one page of the chain from the
 * asked position (db/pages.ts), as stored canonical text. A head is committed together with a
 * checkpoint covering it, so the checkpoint read here covers every head and chain read here.
 * (On the embedded database the statement is the body of a session function, ROUND_FUNCTIONS: one
 * statement still, in one snapshot.)
 */
import { toSafeNumber } from './client.js';
import type { Database, StatementOptions } from './database.js';
import { pageSql, RECORD_ITEM_OVERHEAD } from './pages.js';

/** The kinds of chain a lookup serves. */
export type ChainTable = 'identities' | 'groups';

/** Table and column names: constants, never input. Identity records nullified by a recovery are not part of the live chain. */
const TABLES: Record<ChainTable, { id: string; records: string; live: string }> = {
  identities: { id: 'user_id', records: 'identity_records', live: 'AND r.nullified_by IS NULL' },
  groups: { id: 'group_id', records: 'group_records', live: '' },
};

/**
 * A row of a chain page: the record at position `seq` of the live chain, as stored (canonical
 * JSON text, exactly as hashed into its leaf) — or, for the row after the page, only its `seq`.
 */
export interface ChainPageRow {
  seq: number;
  index: number | null;
  /** ms since the epoch */
  acceptedAt: number | null;
  record: string | null;
}

/** What to read of one chain: from which seq, and the head index of the copy the caller holds (-1: none). */
export interface ChainAsk {
  id: string;
  start: number;
  cachedHead: number;
}

export interface ChainLookup {
  /** null only in a log that has no checkpoint yet (a mirror before its first copy). */
  checkpoint: { size: number; note: string } | null;
  /**
   * Per ask whose id has a chain, by its position in the asks: the head index; and, unless the
   * cached head was current, the head record and the page's rows (none when `start` is past the head).
   */
  chains: Map<number, { headIndex: number; page: { head: string; rows: ChainPageRow[] } | null }>;
}

type Count = number | string;

const number = (value: Count) => toSafeNumber(BigInt(value));
const orNull = (value: Count | null) => (value === null ? null : number(value));
/** A page row as the statements send it: [seq, index, acceptedAt, record]. */
const pageRow = ([seq, index, acceptedAt, record]: [Count, Count | null, Count | null, string | null]): ChainPageRow => ({ seq: number(seq), index: orNull(index), acceptedAt: orNull(acceptedAt), record });

/**
 * The page of the chain of head row `h` from seq `start` (an SQL expression), its rows as
 * (pos, idx, ms, record), cut by the bounds in the parameters `maxItems` and `maxBytes` name.
 */
function chainPageSql(table: ChainTable, start: string, bounds: { maxItems: string; maxBytes: string }): string {
  const { id, records, live } = TABLES[table];
  return pageSql(
    `SELECT r.seq AS pos, octet_length(e.record) + ${RECORD_ITEM_OVERHEAD} AS size, r.log_index AS idx, floor(extract(epoch FROM e.accepted_at) * 1000)::bigint AS ms, e.record
       FROM ${records} r JOIN log_entries e ON e.index = r.log_index
      WHERE r.${id} = h.${id} AND r.seq >= ${start} ${live}`,
    ['idx', 'ms', 'record'],
    bounds,
  );
}

/** The round's statement of each table, made once: its text depends on the table alone. */
const LOOKUP_SQL: Record<ChainTable, string> = { identities: chainLookupSql('identities'), groups: chainLookupSql('groups') };

/** The round's statement for one table: parameters $1 ids, $2 cached heads, $3 starts, $4 maxItems, $5 maxBytes. */
function chainLookupSql(table: ChainTable): string {
  const { id } = TABLES[table];
  const page = chainPageSql(table, 'a.start', { maxItems: '$4', maxBytes: '$5' });
  return `SELECT
       (SELECT json_build_object('size', size, 'note', note) FROM log_checkpoints ORDER BY size DESC LIMIT 1) AS checkpoint,
       (SELECT coalesce(json_agg(json_build_array(a.ord, h.head_index,
          CASE WHEN h.head_index <> a.cached THEN (SELECT e.record FROM log_entries e WHERE e.index = h.head_index) END,
          CASE WHEN h.head_index <> a.cached THEN
            (SELECT coalesce(json_agg(json_build_array(p.pos, p.idx, p.ms, p.record) ORDER BY p.pos), '[]'::json) FROM (${page}) p)
          END)), '[]'::json)
          FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS a(id, cached, start, ord) JOIN ${table} h ON h.${id} = a.id
         -- repeated as a filter so the planner reads the primary key, not the whole table
         WHERE h.${id} = ANY($1::text[])) AS chains`;
}

/**
 * How the round runs: prepared on Postgres (one text per table: planning it cost Postgres more than
 * running it); on the embedded database, which has no prepared statements and planned it on every
 * round (7.4 ms for one chain on a loaded machine, 2.5 ms as a function), as a session function
 * whose plan PGlite keeps (database.ts, StatementOptions.embedded).
 */
const ROUND_OPTIONS: StatementOptions = {
  prepared: true,
  embedded: { params: ['text[]', 'bigint[]', 'bigint[]', 'bigint', 'bigint'], columns: [['checkpoint', 'json'], ['chains', 'json']] },
};

export async function readChainLookup(
  db: Pick<Database, 'query'>,
  table: ChainTable,
  asks: ChainAsk[],
  bounds: { maxItems: number; maxBytes: number },
): Promise<ChainLookup> {
  type Row = { checkpoint: { size: Count; note: string } | null; chains: Array<[Count, Count, string | null, Array<[Count, Count | null, Count | null, string | null]> | null]> };
  const params = [asks.map((a) => a.id), asks.map((a) => a.cachedHead), asks.map((a) => a.start), bounds.maxItems, bounds.maxBytes];
  const rows = await db.query<Row>(LOOKUP_SQL[table], params, ROUND_OPTIONS);
  const row = rows[0]!;
  return {
    checkpoint: row.checkpoint === null ? null : { size: number(row.checkpoint.size), note: row.checkpoint.note },
    chains: new Map(
      row.chains.map(([ord, headIndex, head, entries]) => [
        number(ord) - 1,
        {
          headIndex: number(headIndex),
          page:
            head === null || entries === null
              ? null
              : { head, rows: entries.map(pageRow) },
        },
      ]),
    ),
  };
}

/** The first page of one chain, as its head index, head record and page rows (see ChainLookup). */
export interface FirstPage {
  id: string;
  headIndex: number;
  head: string;
  rows: ChainPageRow[];
}

/**
 * The first pages (from seq 0) of up to `limit` chains of the table whose ids sort after `after`,
 * in id order, each with its head index and head record, read in one statement (one snapshot):
 * what a registry preloads its lookup cache with at start (chain-bundles.ts). A page at a head
 * index never changes, so it may be cached in any mode; whether it is still the head is asked of
 * the latest checkpoint when it is served.
 */
export async function readFirstPages(db: Pick<Database, 'query'>, table: ChainTable, after: string, limit: number, bounds: { maxItems: number; maxBytes: number }): Promise<FirstPage[]> {
  const { id } = TABLES[table];
  const page = chainPageSql(table, '0', { maxItems: '$3', maxBytes: '$4' });
  type Row = { chains: Array<[string, Count, string, Array<[Count, Count | null, Count | null, string | null]>]> };
  const rows = await db.query<Row>(
    `SELECT coalesce(json_agg(json_build_array(h.${id}, h.head_index,
       (SELECT e.record FROM log_entries e WHERE e.index = h.head_index),
       (SELECT coalesce(json_agg(json_build_array(p.pos, p.idx, p.ms, p.record) ORDER BY p.pos), '[]'::json) FROM (${page}) p))
       ORDER BY h.${id}), '[]'::json) AS chains
       FROM (SELECT * FROM ${table} WHERE ${id} > $1 ORDER BY ${id} LIMIT $2) h`,
    [after, limit, bounds.maxItems, bounds.maxBytes],
  );
  return rows[0]!.chains.map(([chainId, headIndex, head, entries]) => ({ id: chainId, headIndex: number(headIndex), head, rows: entries.map(pageRow) }));
}
