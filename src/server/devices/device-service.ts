/** Device records (DESIGN.md §3): latest wins, signed by the user's current key. */
import type { Database } from '../../db/database.js';
import { readCurrentDevices, readDevice, storeDeviceIfNewer } from '../../db/device-repository.js';
import { readHead } from '../../db/identity-repository.js';
import { checkDeviceUpdate, parseDeviceRecord, verifyDeviceSignature, type DeviceRecord } from '../../protocol/device.js';
import { ProtocolError } from '../../protocol/errors.js';
import { canonicalJson } from '../../protocol/json.js';
import type { Clock } from '../clock.js';
import type { WriteCounter } from '../http/write-budgets.js';
import { assertPeersId, checkClockSkew } from '../admission-policy.js';
import { nodeVerify } from '../../node/node-ed25519.js';

export class DeviceService {
  constructor(
    private readonly db: Database,
    private readonly clock: Clock,
    /** The per-userId device write budget, told of each stored record. */
    private readonly budget: WriteCounter,
  ) {}

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

  /** GET /v1/users/{userId}/devices */
  async list(userId: string): Promise<{ userId: string; devices: DeviceRecord[] }> {
    assertPeersId(userId, 'userId');
    if ((await readHead(this.db.prisma, userId)) === null) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    return { userId, devices: await readCurrentDevices(this.db.prisma, userId, new Date(this.clock.now())) };
  }
}
