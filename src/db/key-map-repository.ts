/**
 * The key map's state as the registry's tables already hold it (docs/DESIGN.md §5.2): each
 * identity's and group's head — record hash, log index, seq, status — is a row of `identities`
 * or `groups`, written in the same transaction as its log entry. So the map after the log's
 * current size is one read away, without replaying the log.
 */
import { fromBase64Url } from '../protocol/encoding.js';
import type { MapUpdate } from '../protocol/key-map.js';
import { toSafeNumber } from './client.js';
import type { Database } from './database.js';

type Count = bigint | number | string;

interface HeadRow {
  kind: number;
  id: string | null;
  hash: string | null;
  idx: Count;
  seq: Count | null;
  status: string | null;
}

/**
 * The log's size and every chain's head at that size, in one statement so that both come from
 * one snapshot: a head is committed with the size that covers it (log-writer.ts, mirror-log.ts).
 * The first row is the size; the others are the heads. An identity's seq is its head record's;
 * a group's status is always active (docs/DESIGN.md §5.2, values).
 */
export async function readMapHeads(db: Pick<Database, 'query'>): Promise<{ size: number; heads: MapUpdate[] }> {
  const rows = await db.query<HeadRow>(
    `SELECT 0 AS kind, NULL::text AS id, NULL::text AS hash, s.size AS idx, NULL::integer AS seq, NULL::text AS status FROM log_state s WHERE s.id = 1
     UNION ALL
     SELECT 1, i.user_id, i.head_hash, i.head_index, r.seq, i.status FROM identities i JOIN identity_records r ON r.log_index = i.head_index
     UNION ALL
     SELECT 2, g.group_id, g.head_hash, g.head_index, g.seq, 'active' FROM groups g`,
  );
  const number = (value: Count) => toSafeNumber(BigInt(value));
  let size: number | null = null;
  const heads: MapUpdate[] = [];
  for (const row of rows) {
    if (Number(row.kind) === 0) {
      size = number(row.idx);
      continue;
    }
    const recordHash = fromBase64Url(row.hash!, 32);
    if (recordHash === null) throw new Error(`the stored head of ${row.id} has a record hash that is not 32 bytes of base64url`);
    const status = row.status;
    if (status !== 'active' && status !== 'revoked') throw new Error(`the stored head of ${row.id} has status ${JSON.stringify(status)}`);
    heads.push({ key: { kind: Number(row.kind) === 1 ? 'user' : 'group', id: row.id! }, value: { recordHash, index: number(row.idx), seq: number(row.seq!), status } });
  }
  if (size === null) throw new Error('log_state has no row: the database was not migrated');
  return { size, heads };
}
