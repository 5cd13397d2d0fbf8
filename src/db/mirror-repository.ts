/** Reads only a mirror needs (src/mirror). */
import type { DbClient } from './client.js';

/** Up to `limit` userIds after `after`, in order: a mirror's rolling refresh of device records. */
export async function readUserIdsAfter(db: DbClient, after: string, limit: number): Promise<string[]> {
  const rows = await db.identity.findMany({ where: { userId: { gt: after } }, orderBy: { userId: 'asc' }, take: limit, select: { userId: true } });
  return rows.map((row) => row.userId);
}
