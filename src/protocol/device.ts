/** Device records (DESIGN.md §3): latest wins per (userId, deviceId); not chained, not logged. */
import * as z from 'zod/mini';
import { fromBase64Url } from './encoding.js';
import { ProtocolError } from './errors.js';
import { parseRecord, type Assert, type SchemaMatches } from './records.js';
import { sealedAddressesSchema, type SealedAddresses } from './sealed-addresses.js';
import {
  codePointLength,
  displayNameSchema,
  distinct,
  ed25519KeySchema,
  peersIdSchema,
  signatureSchema,
  statusSchema,
  timestampSchema,
} from './schemas.js';
import { signingInput, type VerifySignature } from './signing.js';
import { parseTimestamp } from './time.js';

export const DEVICE_MAX_BYTES = 8 * 1024;
export const MAX_DEVICE_ADDRESSES = 16;
export const MAX_ADDRESS_LENGTH = 256;

/**
 * An address as a peer dials it ("https://host:port", "192.168.1.2:5000"): printable, no spaces.
 * @internal
 */
export const addressSchema = z.string().check(
  z.refine((text) => {
    const length = codePointLength(text);
    return length >= 1 && length <= MAX_ADDRESS_LENGTH;
  }, `an address has 1 to ${MAX_ADDRESS_LENGTH} characters`),
  z.refine((text) => !/[\s\u0000-\u001f\u007f-\u009f]/.test(text), 'an address has no whitespace or control characters'),
);

/** @internal */
export const deviceRecordSchema = z
  .strictObject({
    type: z.literal('device'),
    userId: peersIdSchema,
    deviceId: peersIdSchema,
    addresses: z.array(addressSchema).check(z.maxLength(MAX_DEVICE_ADDRESSES), z.refine(distinct, 'addresses must be distinct')),
    /** Addresses only the listed recipients can read (DESIGN.md §3.1); covered by `sig` like the rest. */
    sealedAddresses: z.optional(sealedAddressesSchema),
    name: z.optional(displayNameSchema(64)),
    status: statusSchema,
    updatedAt: timestampSchema,
    expiresAt: z.optional(timestampSchema),
    signer: ed25519KeySchema,
    sig: signatureSchema,
  })
  .check(
    z.refine((r) => r.expiresAt === undefined || parseTimestamp(r.expiresAt)! > parseTimestamp(r.updatedAt)!, {
      message: 'expiresAt must be later than updatedAt',
      path: ['expiresAt'],
    }),
  );

/** A device record (DESIGN.md §3): where one of a user's devices can be reached, signed by the user. */
export type DeviceRecord = {
  type: 'device';
  userId: string;
  /** A Peers id the user chose for the device. */
  deviceId: string;
  /** Up to 16 distinct addresses, readable by anyone. */
  addresses: string[];
  /** Addresses only the listed recipients can read (DESIGN.md §3.1); covered by `sig` like the rest. */
  sealedAddresses?: SealedAddresses | undefined;
  name?: string | undefined;
  status: 'active' | 'revoked';
  updatedAt: string;
  expiresAt?: string | undefined;
  /** The user's signing key at the time: the record is valid while it is their current key. */
  signer: string;
  sig: string;
};
type _DeviceRecordMatchesSchema = Assert<SchemaMatches<typeof deviceRecordSchema, DeviceRecord>>;
export type UnsignedDeviceRecord = Omit<DeviceRecord, 'sig'>;

export function deviceSigningInput(record: UnsignedDeviceRecord | DeviceRecord): Uint8Array {
  return signingInput('device', record, ['sig']);
}

export function parseDeviceRecord(value: unknown): DeviceRecord {
  return parseRecord(deviceRecordSchema, value, DEVICE_MAX_BYTES, 'device');
}

export async function verifyDeviceSignature(record: DeviceRecord, verify: VerifySignature): Promise<void> {
  const ok = await verify(fromBase64Url(record.signer, 32)!, deviceSigningInput(record), fromBase64Url(record.sig, 64)!);
  if (!ok) throw new ProtocolError('BAD_SIGNATURE', 'sig does not verify under signer');
}

/** What the registry knows when a device record arrives. */
export interface DeviceContext {
  /** The user's identity head: its current signing key and status. */
  identity: { publicKey: string; status: 'active' | 'revoked' };
  /** The stored record for the same (userId, deviceId), if any. */
  stored: DeviceRecord | null;
}

/** Device rules: signed by the user's current signing key, and newer than what is stored. */
export function checkDeviceUpdate(record: DeviceRecord, context: DeviceContext): void {
  if (context.identity.status === 'revoked') throw new ProtocolError('REVOKED', 'the identity is revoked');
  if (record.signer !== context.identity.publicKey) {
    throw new ProtocolError('UNAUTHORIZED_SIGNER', "a device record is signed by the user's current publicKey");
  }
  if (context.stored !== null && parseTimestamp(record.updatedAt)! <= parseTimestamp(context.stored.updatedAt)!) {
    throw new ProtocolError('STALE_DEVICE', 'a newer or equal device record is already stored');
  }
}
