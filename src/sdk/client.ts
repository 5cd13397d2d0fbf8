/**
 * RegistryClient: talks to one registry, pinned to its URL and its log key, and returns nothing it
 * has not verified. Every lookup and write answer is checked (verify.ts), and every checkpoint is
 * checked for consistency with the last one this client saw, which it keeps in a ClientStore.
 */
import type { DeviceRecord } from '../protocol/device.js';
import { parseDeviceRecord, verifyDeviceSignature } from '../protocol/device.js';
import { VerificationError } from './errors.js';
import { LIST_CAPS } from './list-caps.js';
import type { VerifiedIdentity } from './verify.js';
import { GroupClient } from './client/groups.js';

export type { RegistryClientOptions } from './client/http.js';
export type { WitnessOptions } from './client/witness-policy.js';
export type { GroupMemberKeys } from './client/groups.js';

/**
 * A client for one registry. Its calls are written in layers, one file each, all behind this one
 * class: HTTP (client/http.ts), verified state (client/state.ts), identities
 * (client/identities.ts), groups (client/groups.ts), and devices, here.
 */
export class RegistryClient extends GroupClient {
  /** Publishes a device record (see `createDeviceRecord`); returns the record the registry stored. */
  async publishDevice(record: DeviceRecord): Promise<DeviceRecord> {
    const raw = await this.request('PUT', `/v1/users/${encodeURIComponent(record.userId)}/devices/${encodeURIComponent(record.deviceId)}`, record);
    const stored = this.parseDevice(raw);
    if (JSON.stringify(stored) !== JSON.stringify(parseDeviceRecord(record))) throw new VerificationError('INVALID_RESPONSE', 'the registry stored a different device record');
    return stored;
  }

  /**
   * The user's current devices, each verified: signed by the user's current signing key as a
   * verified lookup gives it, and about this user. Records that fail are left out, not returned.
   */
  async devices(userId: string, identity?: VerifiedIdentity): Promise<DeviceRecord[]> {
    const owner = identity ?? (await this.lookup(userId));
    const list = (await this.list(`/v1/users/${encodeURIComponent(userId)}/devices`, 'devices', LIST_CAPS.devices))['devices'] as unknown[];
    const verify = await this.verifier;
    const verified: DeviceRecord[] = [];
    for (const item of list) {
      const record = this.parseDevice(item);
      if (record.userId !== userId || record.signer !== owner.publicKey || owner.status !== 'active') continue;
      try {
        await verifyDeviceSignature(record, verify);
        verified.push(record);
      } catch {
        // a record the registry should not have served: skipped
      }
    }
    return verified;
  }

  private parseDevice(raw: unknown): DeviceRecord {
    try {
      return parseDeviceRecord(raw);
    } catch (error) {
      throw new VerificationError('BAD_DEVICE', `a device record is invalid: ${(error as Error).message}`);
    }
  }
}
