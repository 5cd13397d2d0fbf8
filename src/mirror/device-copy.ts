/**
 * Device records are not in the log (DESIGN.md §3), so a mirror cannot follow them entry by entry.
 * It copies a user's device list when it copies a change to the user's chain, and refreshes every
 * user's in a rolling sweep (a few users each round), so a device-only update reaches the mirror
 * within one sweep. Each record is checked as the registry checks it: schema, signature, and —
 * by the same conditional write the registry uses — signed by the user's current key (as this
 * mirror verified it) and newer than the copy held.
 */
import type { Logger } from 'pino';
import type { Database } from '../db/database.js';
import { storeDeviceIfNewer } from '../db/device-repository.js';
import { readUserIdsAfter } from '../db/mirror-repository.js';
import { parseDeviceRecord, verifyDeviceSignature, type DeviceRecord } from '../protocol/device.js';
import { canonicalJson } from '../protocol/json.js';
import type { RegistryClient } from '../sdk/client.js';
import { LIST_CAPS } from '../sdk/list-caps.js';
import { nodeVerify } from '../node/node-ed25519.js';

const CONCURRENCY = 4;

export class DeviceCopier {
  /** The sweep's position: the last userId refreshed ('' to start over). */
  private after = '';

  constructor(
    private readonly db: Database,
    private readonly client: RegistryClient,
    private readonly logger?: Logger,
  ) {}

  /** Copies the current device records of these users; returns how many records were stored. */
  async copy(userIds: Iterable<string>): Promise<number> {
    const queue = [...userIds];
    let stored = 0;
    const worker = async () => {
      for (let userId = queue.shift(); userId !== undefined; userId = queue.shift()) stored += await this.copyUser(userId);
    };
    await Promise.all(Array.from({ length: CONCURRENCY }, worker));
    return stored;
  }

  /** Refreshes the device records of the next `count` users in userId order, wrapping around. */
  async sweep(count: number): Promise<number> {
    const userIds = await readUserIdsAfter(this.db.prisma, this.after, count);
    this.after = userIds.length < count ? '' : userIds[userIds.length - 1]!;
    return this.copy(userIds);
  }

  private async copyUser(userId: string): Promise<number> {
    let list: unknown;
    try {
      // Every page of the list (DESIGN.md §6, "Pages"): a device past the first page is a device too.
      list = (await this.client.list(`/v1/users/${encodeURIComponent(userId)}/devices`, 'devices', LIST_CAPS.devices))['devices'];
    } catch (error) {
      this.logger?.debug({ err: error, userId }, 'could not read device records; the next sweep retries');
      return 0;
    }
    if (!Array.isArray(list)) return 0;
    let stored = 0;
    for (const item of list) {
      let record: DeviceRecord;
      try {
        record = parseDeviceRecord(item);
        if (record.userId !== userId) throw new Error(`a device record of ${record.userId} in ${userId}'s list`);
        await verifyDeviceSignature(record, nodeVerify);
      } catch (error) {
        this.logger?.warn({ err: error, userId }, 'the registry served a device record that does not verify; not copied');
        continue;
      }
      if (await storeDeviceIfNewer(this.db.prisma, record, canonicalJson(record))) stored++;
    }
    return stored;
  }
}
