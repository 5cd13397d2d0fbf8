/**
 * Sealing a device's addresses to chosen recipients, and opening them (DESIGN.md §3.1). The
 * registry stores the ciphertext and the recipients' box keys only; a recipient opens them with
 * its box key pair; the device record's signature covers all of it, so nobody but the user can
 * change the recipients or the box. The Peers design says device info "is boxed for the keys" of
 * those who should read it; this is that, for the addresses a device publishes.
 */
import nacl from 'tweetnacl';
import { addressSchema, MAX_DEVICE_ADDRESSES, type DeviceRecord } from '../protocol/device.js';
import { fromBase64Url, fromUtf8, toBase64Url } from '../protocol/encoding.js';
import { parseJson } from '../protocol/json.js';
import { distinct, peersIdSchema } from '../protocol/schemas.js';
import {
  SEALED_MAX_PLAINTEXT_BYTES,
  SEALED_MAX_RECIPIENTS,
  sealedBoxNonce,
  sealedKeyNonce,
  sealedPlaintext,
  type SealedAddresses,
} from '../protocol/sealed-addresses.js';
import { isValidX25519PublicKey } from '../protocol/keys.js';
import * as z from 'zod/mini';
import { VerificationError } from './errors.js';
import type { BoxKeyPair } from './keys.js';

export type { SealedAddresses } from '../protocol/sealed-addresses.js';

export interface SealAddressesOptions {
  userId: string;
  deviceId: string;
  /** 1 to 16 distinct addresses, as in a device record's `addresses`. */
  addresses: readonly string[];
  /** The recipients' box keys (base64url), 1 to 32, distinct. */
  recipients: readonly string[];
}

/** Seals `addresses` of one device to `recipients` (see `createDeviceRecord`'s `sealedAddresses`). */
export function sealDeviceAddresses(options: SealAddressesOptions): SealedAddresses {
  const { recipients, addresses } = options;
  if (recipients.length < 1 || recipients.length > SEALED_MAX_RECIPIENTS) throw new TypeError(`1 to ${SEALED_MAX_RECIPIENTS} recipients`);
  if (!distinct(recipients)) throw new TypeError('recipients must be distinct');
  if (addresses.length < 1 || addresses.length > MAX_DEVICE_ADDRESSES || !distinct(addresses)) throw new TypeError(`1 to ${MAX_DEVICE_ADDRESSES} distinct addresses`);
  for (const address of addresses) if (!addressSchema.safeParse(address).success) throw new TypeError(`not an address: ${address}`);
  const keys = recipients.map((text) => {
    const bytes = fromBase64Url(text, 32);
    if (bytes === null || !isValidX25519PublicKey(bytes)) throw new TypeError(`not a box key: ${text}`);
    return bytes;
  });
  const plaintext = sealedPlaintext(options.userId, options.deviceId, addresses);
  if (plaintext.length > SEALED_MAX_PLAINTEXT_BYTES) throw new TypeError(`the sealed addresses take ${plaintext.length} bytes; at most ${SEALED_MAX_PLAINTEXT_BYTES}`);

  const secretKey = nacl.randomBytes(nacl.secretbox.keyLength);
  const ephemeral = nacl.box.keyPair();
  try {
    const box = nacl.secretbox(plaintext, sealedBoxNonce(ephemeral.publicKey), secretKey);
    return {
      ephemeralKey: toBase64Url(ephemeral.publicKey),
      recipients: keys.map((key, i) => ({
        publicBoxKey: recipients[i]!,
        key: toBase64Url(nacl.box(secretKey, sealedKeyNonce(ephemeral.publicKey, key), key, ephemeral.secretKey)),
      })),
      box: toBase64Url(box),
    };
  } finally {
    secretKey.fill(0);
    ephemeral.secretKey.fill(0); // nobody, the user included, can open the box without a recipient's key
  }
}

const openedSchema = z.strictObject({
  userId: peersIdSchema,
  deviceId: peersIdSchema,
  addresses: z.array(addressSchema).check(z.minLength(1), z.maxLength(MAX_DEVICE_ADDRESSES), z.refine(distinct, 'addresses must be distinct')),
});

/**
 * The sealed addresses of a device record, opened with a recipient's box key pair; null when the
 * record seals none, or not to this key. Open only records whose signature was verified (as
 * `RegistryClient.devices` returns them): the signature is what says the user sealed them.
 * @throws VerificationError `BAD_DEVICE` when this key is a recipient but the addresses do not
 * open, or are not addresses of this very device.
 */
export function openDeviceAddresses(record: DeviceRecord, boxKey: BoxKeyPair): string[] | null {
  const sealed = record.sealedAddresses;
  if (sealed === undefined) return null;
  const entry = sealed.recipients.find((r) => r.publicBoxKey === boxKey.publicKey);
  if (entry === undefined) return null;
  const fail = (why: string): never => {
    throw new VerificationError('BAD_DEVICE', `the sealed addresses of device ${record.deviceId} ${why}`);
  };
  const ephemeral = fromBase64Url(sealed.ephemeralKey, 32);
  const wrapped = fromBase64Url(entry.key, 48);
  const box = fromBase64Url(sealed.box);
  if (ephemeral === null || wrapped === null || box === null) return fail('are malformed');
  const secretKey = nacl.box.open(wrapped, sealedKeyNonce(ephemeral, fromBase64Url(boxKey.publicKey, 32)!), ephemeral, boxKey.secretKey);
  if (secretKey === null || secretKey.length !== nacl.secretbox.keyLength) return fail('do not open with this box key');
  const plaintext = nacl.secretbox.open(box, sealedBoxNonce(ephemeral), secretKey);
  secretKey.fill(0);
  if (plaintext === null) return fail('do not open with the key sealed to this box key');
  let value: unknown;
  try {
    value = parseJson(fromUtf8(plaintext) ?? fail('are not UTF-8'));
  } catch (error) {
    if (error instanceof VerificationError) throw error;
    return fail('are not JSON');
  }
  const opened = openedSchema.safeParse(value);
  if (!opened.success) return fail('are not a list of addresses');
  // Bound to the device: addresses sealed for another device (or user) are not this one's.
  if (opened.data.userId !== record.userId || opened.data.deviceId !== record.deviceId) return fail('belong to another device');
  return opened.data.addresses;
}

/** Where to dial a device: its public addresses, then the sealed ones `boxKey` opens (if any). */
export function deviceAddresses(record: DeviceRecord, boxKey?: BoxKeyPair): string[] {
  const sealed = boxKey === undefined ? null : openDeviceAddresses(record, boxKey);
  return [...new Set([...record.addresses, ...(sealed ?? [])])];
}
