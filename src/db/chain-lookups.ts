/**
 * The read behind every lookup bundle (DESIGN.md §6), in one statement so that it sees one
 * snapshot: the latest checkpoint, the head index of each asked-for chain, and — only where the
 * caller's cached copy is not at that head — the head record and one page of the chain from the
 * asked position (db/pages.ts), as stored canonical text. A head is committed together with a
 * checkpoint covering it, so the checkpoint read here covers every head and chain read here.
 */
import { toSafeNumber } from './client.js';
import type { Database } from './database.js';
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

export async function readChainLookup(db: Pick<Database, 'query'>, table: ChainTable, asks: ChainAsk[], bounds: { maxItems: number; maxBytes: number }): Promise<ChainLookup> {
  const { id, records, live } = TABLES[table];
  const page = pageSql(
    `SELECT r.seq AS pos, octet_length(e.record) + ${RECORD_ITEM_OVERHEAD} AS size, r.log_index AS idx, floor(extract(epoch FROM e.accepted_at) * 1000)::bigint AS ms, e.record
       FROM ${records} r JOIN log_entries e ON e.index = r.log_index
      WHERE r.${id} = h.${id} AND r.seq >= a.start ${live}`,
    ['idx', 'ms', 'record'],
    { maxItems: '$4', maxBytes: '$5' },
  );
  type Row = { checkpoint: { size: Count; note: string } | null; chains: Array<[Count, Count, string | null, Array<[Count, Count | null, Count | null, string | null]> | null]> };
  const rows = await db.query<Row>(
    `SELECT
       (SELECT json_build_object('size', size, 'note', note) FROM log_checkpoints ORDER BY size DESC LIMIT 1) AS checkpoint,
       (SELECT coalesce(json_agg(json_build_array(a.ord, h.head_index,
          CASE WHEN h.head_index <> a.cached THEN (SELECT e.record FROM log_entries e WHERE e.index = h.head_index) END,
          CASE WHEN h.head_index <> a.cached THEN
            (SELECT coalesce(json_agg(json_build_array(p.pos, p.idx, p.ms, p.record) ORDER BY p.pos), '[]'::json) FROM (${page}) p)
          END)), '[]'::json)
          FROM unnest($1::text[], $2::bigint[], $3::bigint[]) WITH ORDINALITY AS a(id, cached, start, ord) JOIN ${table} h ON h.${id} = a.id
         -- repeated as a filter so the planner reads the primary key, not the whole table
         WHERE h.${id} = ANY($1::text[])) AS chains`,
    [asks.map((a) => a.id), asks.map((a) => a.cachedHead), asks.map((a) => a.start), bounds.maxItems, bounds.maxBytes],
    // One text per table: planning it cost Postgres more than running it.
    { prepared: true },
  );
  const row = rows[0]!;
  const number = (value: Count) => toSafeNumber(BigInt(value));
  const orNull = (value: Count | null) => (value === null ? null : number(value));
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
              : { head, rows: entries.map(([seq, index, acceptedAt, record]) => ({ seq: number(seq), index: orNull(index), acceptedAt: orNull(acceptedAt), record })) },
        },
      ]),
    ),
  };
}
