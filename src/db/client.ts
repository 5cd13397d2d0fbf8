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
 * `rows` in slices of at most `size`: keeps each statement well under Postgres's 65,535 bind
 * parameters (a mirror copies thousands of records in one transaction).
 */
export function* chunks<T>(rows: readonly T[], size = 1000): Generator<T[]> {
  for (let i = 0; i < rows.length; i += size) yield rows.slice(i, i + size);
}
