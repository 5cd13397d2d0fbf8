/**
 * The read behind every lookup bundle (DESIGN.md §6), in one statement so that it sees one
 * snapshot: the latest checkpoint, the head index of each asked-for chain, and — only where the
 * caller's cached copy is not at that head — the chain's records as their stored canonical text.
 * A head is committed together with a checkpoint covering it, so the checkpoint read here covers
 * every head and chain read here.
 */
import { toSafeNumber } from './client.js';
import type { Database } from './database.js';

/** The kinds of chain a lookup serves. */
export type ChainTable = 'identities' | 'groups';

/** Table and column names: constants, never input. Identity records nullified by a recovery are not part of the live chain. */
const TABLES: Record<ChainTable, { id: string; records: string; live: string }> = {
  identities: { id: 'user_id', records: 'identity_records', live: 'AND r.nullified_by IS NULL' },
  groups: { id: 'group_id', records: 'group_records', live: '' },
};

/** A chain entry as stored: the record is canonical JSON text, exactly as hashed into its leaf. */
export interface StoredChainEntry {
  index: number;
  /** ms since the epoch */
  acceptedAt: number;
  record: string;
}

export interface ChainLookup {
  /** null only in a log that has no checkpoint yet (a mirror before its first copy). */
  checkpoint: { size: number; note: string } | null;
  /** Per asked id that has a chain: its head index, and its live chain (first record first) unless the cached head was current. */
  chains: Map<string, { headIndex: number; entries: StoredChainEntry[] | null }>;
}

/** `asks`: each id with the head index of the copy the caller holds, or -1 when it holds none. */
export async function readChainLookup(db: Pick<Database, 'query'>, table: ChainTable, asks: Array<{ id: string; cachedHead: number }>): Promise<ChainLookup> {
  const { id, records, live } = TABLES[table];
  type Row = { checkpoint: { size: number | string; note: string } | null; chains: Array<[string, number | string, Array<[number | string, number | string, string]> | null]> };
  const rows = await db.query<Row>(
    `SELECT
       (SELECT json_build_object('size', size, 'note', note) FROM log_checkpoints ORDER BY size DESC LIMIT 1) AS checkpoint,
       (SELECT coalesce(json_agg(json_build_array(h.${id}, h.head_index,
          CASE WHEN h.head_index <> a.cached THEN
            (SELECT json_agg(json_build_array(r.log_index, floor(extract(epoch FROM e.accepted_at) * 1000)::bigint, e.record) ORDER BY r.seq)
               FROM ${records} r JOIN log_entries e ON e.index = r.log_index
              WHERE r.${id} = h.${id} ${live})
          END)), '[]'::json)
          FROM unnest($1::text[], $2::bigint[]) AS a(id, cached) JOIN ${table} h ON h.${id} = a.id
         -- repeated as a filter so the planner reads the primary key, not the whole table
         WHERE h.${id} = ANY($1::text[])) AS chains`,
    [asks.map((a) => a.id), asks.map((a) => a.cachedHead)],
  );
  const row = rows[0]!;
  const number = (value: number | string) => toSafeNumber(BigInt(value));
  return {
    checkpoint: row.checkpoint === null ? null : { size: number(row.checkpoint.size), note: row.checkpoint.note },
    chains: new Map(
      row.chains.map(([chainId, headIndex, entries]) => [
        chainId,
        { headIndex: number(headIndex), entries: entries === null ? null : entries.map(([index, acceptedAt, record]) => ({ index: number(index), acceptedAt: number(acceptedAt), record })) },
      ]),
    ),
  };
}
