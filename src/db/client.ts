/** What repositories run their statements on: the client itself or an open transaction. */
import type { Prisma, PrismaClient } from './generated/client.js';

export type DbClient = PrismaClient | Prisma.TransactionClient;
export type { Prisma } from './generated/client.js';

/**
 * Postgres bigint columns come back as bigint (Prisma), string (pg) or number (PGlite); the API's
 * indexes and sizes are safe integers.
 */
export function toSafeNumber(value: bigint | number | string): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${value} is beyond 2^53`);
  return n;
}

/**
 * `rows` in slices of at most `size`: keeps each statement's size bounded where rows go in as
 * arrays of values (a mirror copies thousands of records in one transaction).
 */
export function* chunks<T>(rows: readonly T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}

/**
 * A batch's UPDATE of chain heads must touch every head it names (the writer holds the log lock
 * and decided them from the same rows): fewer means the tables and the log disagree, so the whole
 * transaction is refused rather than committed with a head left behind (the key map, folded from
 * the log, would then name a head the table does not hold).
 */
export function expectUpdated(updated: number, expected: number, what: string): void {
  if (updated !== expected) throw new Error(`${what}: ${updated} of ${expected} rows updated`);
}
