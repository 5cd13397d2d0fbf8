/**
 * What the log's tiles are made of (c2sp.org/tlog-tiles, DESIGN.md §5.3): runs of stored subtree
 * hashes at one tree level, and runs of entries as leaf bytes. Both read by primary key ranges.
 */
import type { Database } from './database.js';
import { formatTimestamp } from '../protocol/time.js';

/** The hashes of perfect subtrees (`level`, first) to (`level`, first + count − 1), in order; fewer if some are not stored. */
export async function readSubtreeRun(db: Pick<Database, 'query'>, level: number, first: number, count: number): Promise<Uint8Array[]> {
  const rows = await db.query<{ hash: Uint8Array }>('SELECT hash FROM log_nodes WHERE level = $1 AND index >= $2 AND index < $3 ORDER BY index', [
    level,
    first,
    first + count,
  ]);
  return rows.map((r) => r.hash);
}

/**
 * The leaves of entries `first` to `first + count − 1` (DESIGN.md §5) as text (a leaf's bytes are its UTF-8), in order; fewer if some
 * are missing. The stored record is its canonical JSON and "acceptedAt" sorts before "record", so
 * JCS({ acceptedAt, record }) is spliced from the stored text without parsing it.
 */
export async function readLeafRun(db: Pick<Database, 'query'>, first: number, count: number): Promise<string[]> {
  const rows = await db.query<{ ms: bigint | number | string; record: string }>(
    'SELECT floor(extract(epoch FROM accepted_at) * 1000)::bigint AS ms, record FROM log_entries WHERE index >= $1 AND index < $2 ORDER BY index',
    [first, first + count],
  );
  // Texts, not bytes: the tile reader writes them straight into the bundle's one buffer.
  return rows.map((r) => `{"acceptedAt":"${formatTimestamp(Number(r.ms))}","record":${r.record}}`);
}
