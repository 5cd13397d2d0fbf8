/**
 * The check at start that DATABASE_READ_URL names a streaming replica of DATABASE_URL (DESIGN.md
 * §9, "Read replica"): a hot standby (in recovery) of the same cluster (the same
 * system_identifier, which pg_basebackup copies and initdb makes anew). A registry that reads
 * another database as its replica refuses to start, rather than rounds finding it `ahead` or
 * `behind` for ever. A replica that does not answer is not refused: lookups read the primary
 * until it does (server/log/lookup-reads.ts). The check at start does not replace that of every
 * round: a primary restored from a backup keeps its system_identifier.
 */
import type { Database, ReadReplica } from './database.js';

export type ReadReplicaErrorCode =
  /** The read replica is not in recovery: a primary, not a standby. */
  | 'READ_REPLICA_NOT_STANDBY'
  /** The read replica is a standby of another cluster than the primary. */
  | 'READ_REPLICA_OTHER_CLUSTER';

export class ReadReplicaError extends Error {
  constructor(
    readonly code: ReadReplicaErrorCode,
    message: string,
  ) {
    super(message);
    this.name = 'ReadReplicaError';
  }
}

interface ClusterRole {
  standby: boolean;
  /** pg_control_system()'s system_identifier, as text (an int8). */
  system: string;
}

async function clusterRole(db: Pick<ReadReplica, 'query'>): Promise<ClusterRole> {
  const rows = await db.query<ClusterRole>('SELECT pg_is_in_recovery() AS standby, system_identifier::text AS system FROM pg_control_system()');
  return rows[0]!;
}

/**
 * Throws a ReadReplicaError when `db.replica` is not a standby of `db`'s cluster; returns the
 * replica's error, without throwing, when the replica cannot be asked (down, unreachable).
 */
export async function checkReadReplica(db: Database): Promise<{ unreachable: unknown } | null> {
  if (db.replica === undefined) return null;
  let replica: ClusterRole;
  try {
    replica = await clusterRole(db.replica);
  } catch (error) {
    return { unreachable: error };
  }
  const primary = await clusterRole(db);
  if (!replica.standby) {
    throw new ReadReplicaError('READ_REPLICA_NOT_STANDBY', 'DATABASE_READ_URL is not a streaming replica: that server is not in recovery (a primary, not a hot standby of DATABASE_URL)');
  }
  if (replica.system !== primary.system) {
    throw new ReadReplicaError(
      'READ_REPLICA_OTHER_CLUSTER',
      `DATABASE_READ_URL is a standby of another cluster than DATABASE_URL (system_identifier ${replica.system}, not ${primary.system}): make it with pg_basebackup from DATABASE_URL`,
    );
  }
  return null;
}
