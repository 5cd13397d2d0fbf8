/**
 * What a witness remembers: per origin, the latest checkpoint it cosigned (size, root and the note
 * as received). One table of its own, in its own database (embedded PGlite or Postgres).
 *
 * Every configured origin has a row from the start (size 0, the empty tree's root), so a request
 * can always lock its origin's row: checking the old size and storing the new checkpoint happen in
 * one transaction under that row lock (c2sp.org/tlog-witness: otherwise two racing requests could
 * roll the stored size back). The cosignature is made only after the commit.
 */
import { openDatabase, type Database, type DatabaseConfig, type SqlSession } from '../db/database.js';
import { EMPTY_ROOT } from '../protocol/merkle.js';

export interface StoredCheckpoint {
  size: number;
  root: Uint8Array;
}

const SCHEMA = `CREATE TABLE IF NOT EXISTS witness_checkpoint (
  origin text PRIMARY KEY,
  size bigint NOT NULL CHECK (size >= 0),
  root bytea NOT NULL CHECK (length(root) = 32),
  note text NOT NULL,
  updated_at timestamptz NOT NULL DEFAULT now()
)`;

export class WitnessStore {
  private constructor(
    private readonly db: Database,
    private readonly owned: boolean,
  ) {}

  /** Opens (or takes) the database, creates the table and a row for every origin not yet known. */
  static async open(config: DatabaseConfig | Database, origins: Iterable<string>): Promise<WitnessStore> {
    const owned = !('transaction' in config);
    const db = owned ? await openDatabase(config) : config;
    try {
      await db.transaction(async (sql) => {
        await sql.exec(SCHEMA);
        for (const origin of origins) {
          await sql.query('INSERT INTO witness_checkpoint (origin, size, root, note) VALUES ($1, 0, $2, $3) ON CONFLICT (origin) DO NOTHING', [origin, Buffer.from(EMPTY_ROOT), '']);
        }
      });
    } catch (error) {
      if (owned) await db.close();
      throw error;
    }
    return new WitnessStore(db, owned);
  }

  /**
   * Runs `decide` with the origin's stored checkpoint, its row locked; when it returns `store`,
   * that checkpoint replaces the stored one in the same transaction. Resolves once committed.
   */
  async advance<T>(origin: string, decide: (current: StoredCheckpoint) => { store: { size: number; root: Uint8Array; note: string } | null; result: T }): Promise<T> {
    return this.db.transaction(async (sql: SqlSession) => {
      const rows = await sql.query<{ size: string | number | bigint; root: Uint8Array }>('SELECT size, root FROM witness_checkpoint WHERE origin = $1 FOR UPDATE', [origin]);
      const row = rows[0];
      if (row === undefined) throw new Error(`no witness row for origin ${origin}`);
      const { store, result } = decide({ size: Number(row.size), root: new Uint8Array(row.root) });
      if (store !== null) {
        await sql.query('UPDATE witness_checkpoint SET size = $2, root = $3, note = $4, updated_at = now() WHERE origin = $1', [origin, store.size, Buffer.from(store.root), store.note]);
      }
      return result;
    });
  }

  async latest(origin: string): Promise<(StoredCheckpoint & { note: string }) | null> {
    const rows = await this.db.query<{ size: string | number | bigint; root: Uint8Array; note: string }>('SELECT size, root, note FROM witness_checkpoint WHERE origin = $1', [origin]);
    const row = rows[0];
    return row === undefined ? null : { size: Number(row.size), root: new Uint8Array(row.root), note: row.note };
  }

  ping(): Promise<void> {
    return this.db.ping();
  }

  async close(): Promise<void> {
    if (this.owned) await this.db.close();
  }
}
