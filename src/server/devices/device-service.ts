/** Device records (DESIGN.md §3): latest wins, signed by the user's current key. */
import type { Database } from '../../db/database.js';
import { readCurrentDevicesPage, readDevice, storeDeviceIfNewer } from '../../db/device-repository.js';
import { readHead } from '../../db/identity-repository.js';
import { checkDeviceUpdate, parseDeviceRecord, verifyDeviceSignature, type DeviceRecord } from '../../protocol/device.js';
import { ProtocolError } from '../../protocol/errors.js';
import { canonicalJson } from '../../protocol/json.js';
import type { Clock } from '../clock.js';
import type { WriteCounter } from '../http/write-budgets.js';
import { assertPeersId, checkClockSkew } from '../admission-policy.js';
import { nodeVerify } from '../../node/node-ed25519.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type PageBounds } from '../pages.js';

export class DeviceService {
  private readonly bounds: PageBounds;

  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** The per-userId device write budget, told of each stored record. */
    private readonly budget: WriteCounter,
    /** The most bytes of records a page of a device list holds (config PAGE_MAX_BYTES). */
    pageBytes: number,
  ) {
    this.bounds = { maxItems: MAX_PAGE_ITEMS, maxBytes: pageBytes };
  }

  /** PUT /v1/users/{userId}/devices/{deviceId}: stores a newer device record and returns it. */
  async put(userId: string, deviceId: string, body: unknown): Promise<DeviceRecord> {
    assertPeersId(userId, 'userId');
    assertPeersId(deviceId, 'deviceId');
    const record = parseDeviceRecord(body);
    if (record.userId !== userId || record.deviceId !== deviceId) {
      throw new ProtocolError('INVALID_RECORD', 'the record’s userId and deviceId must be the ones in the path');
    }
    checkClockSkew(record.updatedAt, this.clock.now());
    await verifyDeviceSignature(record, nodeVerify);
    if (await storeDeviceIfNewer(this.db.prisma, record, canonicalJson(record))) {
      // Counted once stored (one statement, committed), in this path: refused records never count.
      await this.budget.committed(userId);
      return record;
    }
    // Nothing was written; find out which rule refused it.
    const head = await readHead(this.db.prisma, userId);
    if (head === null) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    checkDeviceUpdate(record, { identity: head, stored: await readDevice(this.db.prisma, userId, deviceId) });
    throw new ProtocolError('STALE_DEVICE', 'a newer device record was stored at the same moment');
  }

  /** GET /v1/users/{userId}/devices: the user's current device records from deviceId `start` on — a page of them, as JSON bytes. */
  async listJson(userId: string, start = ''): Promise<Buffer> {
    assertPeersId(userId, 'userId');
    const rows = await readCurrentDevicesPage(this.db, userId, start, new Date(this.clock.now()), this.bounds);
    // Only an empty page asks whether the user exists (a user with no current device is an empty list).
    if (rows.length === 0 && (await readHead(this.db.prisma, userId)) === null) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    const page = cutPage(rows, (row) => (row.record === null ? null : [row.record]), (row) => row.deviceId, this.bounds);
    return jsonBuffer([`{"userId":"${userId}",`, ...pageMembers('devices', page), '}']);
  }
}
