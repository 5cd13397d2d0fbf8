/** Device records: the latest per (userId, deviceId), replaced only by a newer one. */
import type { DeviceRecord } from '../protocol/device.js';
import type { DbClient } from './client.js';
import type { Database } from './database.js';
import { pageSql } from './pages.js';

export async function readDevice(db: DbClient, userId: string, deviceId: string): Promise<DeviceRecord | null> {
  const row = await db.device.findUnique({ where: { userId_deviceId: { userId, deviceId } }, select: { record: true } });
  return row === null ? null : (JSON.parse(row.record) as DeviceRecord);
}

/**
 * Stores `record` if, at the moment of writing, the user is active, `signer` is the user's current
 * key and no newer-or-equal record is stored — all in one statement, so two racing writers cannot
 * both win. Returns false when nothing was written (the caller finds out why).
 */
export async function storeDeviceIfNewer(db: DbClient, record: DeviceRecord, canonical: string): Promise<boolean> {
  const expiresAt = record.expiresAt === undefined ? null : new Date(record.expiresAt);
  const count = await db.$executeRaw`
    INSERT INTO devices (user_id, device_id, record, updated_at, expires_at, signer)
    SELECT ${record.userId}, ${record.deviceId}, ${canonical}, ${new Date(record.updatedAt)}, ${expiresAt}, ${record.signer}
    WHERE EXISTS (
      SELECT 1 FROM identities WHERE user_id = ${record.userId} AND public_key = ${record.signer} AND status = 'active'
    )
    ON CONFLICT (user_id, device_id) DO UPDATE
      SET record = EXCLUDED.record, updated_at = EXCLUDED.updated_at, expires_at = EXCLUDED.expires_at, signer = EXCLUDED.signer
      WHERE devices.updated_at < EXCLUDED.updated_at`;
  return count === 1;
}

/**
 * The user's current devices from deviceId `start` on, in deviceId order, cut to a page
 * (db/pages.ts): not expired, and signed by the user's current signing key (records signed by a
 * key the user has since rotated away are kept but no longer shown). Each record is its stored
 * canonical JSON; the row after the page has only its deviceId.
 */
export async function readCurrentDevicesPage(
  db: Pick<Database, 'query'>,
  userId: string,
  start: string,
  now: Date,
  bounds: { maxItems: number; maxBytes: number },
): Promise<Array<{ deviceId: string; record: string | null }>> {
  const source = `SELECT d.device_id AS pos, octet_length(d.record) AS size, d.record
                    FROM devices d JOIN identities i ON i.user_id = d.user_id
                   WHERE d.user_id = $1 AND d.device_id >= $2 AND d.signer = i.public_key AND (d.expires_at IS NULL OR d.expires_at > $3)`;
  const rows = await db.query<{ pos: string; record: string | null }>(pageSql(source, ['record'], { maxItems: '$4', maxBytes: '$5' }), [userId, start, now, bounds.maxItems, bounds.maxBytes]);
  return rows.map((r) => ({ deviceId: r.pos, record: r.record }));
}
