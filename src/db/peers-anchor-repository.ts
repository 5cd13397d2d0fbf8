/** What the Peers anchor document (DESIGN.md §10) needs from an identity chain, in one statement. */
import { toSafeNumber, type DbClient } from './client.js';

export interface AnchorFacts {
  status: 'active' | 'revoked';
  /** The head's signing key. */
  publicKey: string;
  /** The head's log index: the document changes only when it does. */
  headIndex: number;
  /** When the head was accepted: the document's `updatedAt`. */
  headAcceptedAt: Date;
  /**
   * When the live chain began naming `publicKey` without a break: the acceptance time of the
   * earliest live record of the trailing run of records whose publicKey is the head's. A record
   * that only changes the name or the rotation keys leaves it alone, so it is when the key was
   * registered (Peers' `issuedAt`), not when the chain last moved.
   */
  keyIssuedAt: Date;
}

/** The anchor facts of `userId`, or null when it has no identity. */
export async function readAnchorFacts(db: DbClient, userId: string): Promise<AnchorFacts | null> {
  const rows = await db.$queryRaw<Array<{ status: string; public_key: string; head_index: bigint; head_accepted_at: Date; key_issued_at: Date }>>`
    WITH live AS (
      SELECT r.seq, e.accepted_at, (e.record::jsonb ->> 'publicKey') AS public_key
      FROM identity_records r JOIN log_entries e ON e.index = r.log_index
      WHERE r.user_id = ${userId} AND r.nullified_by IS NULL
    )
    SELECT i.status, i.public_key, i.head_index,
      (SELECT accepted_at FROM log_entries WHERE index = i.head_index) AS head_accepted_at,
      (SELECT accepted_at FROM live WHERE seq = COALESCE((SELECT max(seq) + 1 FROM live WHERE public_key <> i.public_key), 0)) AS key_issued_at
    FROM identities i WHERE i.user_id = ${userId}`;
  const row = rows[0];
  if (row === undefined) return null;
  return {
    status: row.status as AnchorFacts['status'],
    publicKey: row.public_key,
    headIndex: toSafeNumber(row.head_index),
    headAcceptedAt: row.head_accepted_at,
    keyIssuedAt: row.key_issued_at,
  };
}
