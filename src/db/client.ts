/** What repositories run their statements on: the client itself or an open transaction. */
import type { Prisma, PrismaClient } from './generated/client.js';

export type DbClient = PrismaClient | Prisma.TransactionClient;
export type { Prisma } from './generated/client.js';

/** Postgres bigint columns come back as bigint; the API's indexes and sizes are safe integers. */
export function toSafeNumber(value: bigint | number): number {
  const n = Number(value);
  if (!Number.isSafeInteger(n)) throw new RangeError(`${value} is beyond 2^53`);
  return n;
}
