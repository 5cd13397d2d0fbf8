// Sealed device addresses (DESIGN.md §3.1): the byte layout, who can open them, and the schema
// limits the registry enforces.
import { createHash } from 'node:crypto';
import nacl from 'tweetnacl';
import { describe, expect, it } from '@jest/globals';
import { DEVICE_MAX_BYTES, deviceSigningInput, parseDeviceRecord, type DeviceRecord } from '../../src/protocol/device.js';
import { fromBase64Url, toBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { SEALED_MAX_PLAINTEXT_BYTES, SEALED_MAX_RECIPIENTS } from '../../src/protocol/sealed-addresses.js';
import { canonicalBytes } from '../../src/protocol/signing.js';
import { deviceAddresses, openDeviceAddresses, sealDeviceAddresses } from '../../src/sdk/device-addresses.js';
import { VerificationError } from '../../src/sdk/errors.js';
import { generateBoxKeyPair, generateSigningKeyPair, signerFor, type SigningKeyPair } from '../../src/sdk/keys.js';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { codeOfSync } from '../helpers/errors.js';

const userId = newPeersId();
const signing = generateSigningKeyPair();
const bob = generateBoxKeyPair();
const carol = generateBoxKeyPair();
const mallory = generateBoxKeyPair();
const secret = ['192.168.1.20:3341', 'http://10.0.0.7:3333'];

function sealed(options: { addresses?: string[]; recipients?: string[]; deviceId?: string } = {}) {
  return createDeviceRecord({ userId, ...(options.deviceId !== undefined ? { deviceId: options.deviceId } : {}), addresses: [], sealedAddresses: { addresses: options.addresses ?? secret, recipients: options.recipients ?? [bob.publicKey, carol.publicKey] }, signingKey: signing });
}

/** Re-signs an edited record, so that only the schema can refuse it. */
async function resigned(record: object, key: SigningKeyPair = signing): Promise<DeviceRecord> {
  const { sig: _sig, ...unsigned } = record as DeviceRecord;
  return { ...unsigned, sig: toBase64Url(await signerFor(key)(deviceSigningInput(unsigned))) } as DeviceRecord;
}

function errorCode(run: () => unknown): string {
  try {
    run();
    return 'ok';
  } catch (error) {
    return error instanceof VerificationError ? error.code : String(error);
  }
}

describe('who can read them', () => {
  it('each recipient opens them; a non-recipient and the record alone cannot', async () => {
    const record = await sealed();
    expect(parseDeviceRecord(record)).toEqual(record);
    expect(openDeviceAddresses(record, bob)).toEqual(secret);
    expect(openDeviceAddresses(record, carol)).toEqual(secret);
    expect(openDeviceAddresses(record, mallory)).toBeNull();
    // What the registry holds names no address and no part of one.
    const stored = new TextDecoder().decode(canonicalBytes(record));
    for (const address of secret) expect(stored).not.toContain(address);
    expect(stored).not.toContain('192.168');
    expect(deviceAddresses(record)).toEqual([]);
    expect(deviceAddresses(record, bob)).toEqual(secret);
  });

  it('follows DESIGN.md §3.1 byte for byte: an opener written from the text opens it', async () => {
    const record = await sealed();
    const s = record.sealedAddresses!;
    const E = fromBase64Url(s.ephemeralKey, 32)!;
    const R = fromBase64Url(bob.publicKey, 32)!;
    const sha = (...parts: Uint8Array[]) => new Uint8Array(createHash('sha256').update(Buffer.concat(parts)).digest());
    const utf8 = (text: string) => new TextEncoder().encode(text);
    const nR = sha(utf8('peerkeys:v1:device-addresses-key\n'), E, R).slice(0, 24);
    const K = nacl.box.open(fromBase64Url(s.recipients[0]!.key, 48)!, nR, E, bob.secretKey)!;
    expect(K).not.toBeNull();
    const n = sha(utf8('peerkeys:v1:device-addresses\n'), E).slice(0, 24);
    const P = nacl.secretbox.open(fromBase64Url(s.box)!, n, K)!;
    expect(new TextDecoder().decode(P)).toBe(JSON.stringify({ addresses: secret, deviceId: record.deviceId, userId }));
  });

  it('fresh keys every time: two sealings of the same addresses share nothing', async () => {
    const [a, b] = [await sealed(), await sealed()];
    expect(a.sealedAddresses!.ephemeralKey).not.toBe(b.sealedAddresses!.ephemeralKey);
    expect(a.sealedAddresses!.box).not.toBe(b.sealedAddresses!.box);
  });

  it('a tampered box or wrapped key does not open (BAD_DEVICE); addresses sealed for another device are not this one’s', async () => {
    const record = await sealed();
    const s = record.sealedAddresses!;
    const flip = (text: string) => {
      const bytes = fromBase64Url(text)!;
      bytes[bytes.length - 1]! ^= 1;
      return toBase64Url(bytes);
    };
    expect(errorCode(() => openDeviceAddresses({ ...record, sealedAddresses: { ...s, box: flip(s.box) } }, bob))).toBe('BAD_DEVICE');
    const recipients = s.recipients.map((r, i) => (i === 0 ? { ...r, key: flip(r.key) } : r));
    expect(errorCode(() => openDeviceAddresses({ ...record, sealedAddresses: { ...s, recipients } }, bob))).toBe('BAD_DEVICE');
    // Mallory copies Alice's sealed addresses into a device record of her own, signed by her.
    const malloryKey = generateSigningKeyPair();
    const copied = await resigned({ ...record, userId: newPeersId(), signer: malloryKey.publicKey }, malloryKey);
    expect(errorCode(() => openDeviceAddresses(copied, bob))).toBe('BAD_DEVICE');
    const otherDevice = await resigned({ ...record, deviceId: newPeersId() });
    expect(errorCode(() => openDeviceAddresses(otherDevice, bob))).toBe('BAD_DEVICE');
  });

  it('the sealer refuses what it cannot seal as the format says', () => {
    const base = { userId, deviceId: newPeersId(), addresses: secret, recipients: [bob.publicKey] };
    expect(() => sealDeviceAddresses({ ...base, recipients: [] })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, recipients: [bob.publicKey, bob.publicKey] })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, recipients: Array.from({ length: 33 }, () => generateBoxKeyPair().publicKey) })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, recipients: [toBase64Url(new Uint8Array(32))] })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, addresses: [] })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, addresses: ['has space:1'] })).toThrow(TypeError);
    expect(() => sealDeviceAddresses({ ...base, addresses: Array.from({ length: 16 }, (_, i) => `h${i}.${'x'.repeat(150)}:1`) })).toThrow(TypeError);
  });
});

describe('the schema the registry enforces (400 INVALID_RECORD)', () => {
  it('accepts the largest sealing the limits allow, within the 8 KiB device limit', async () => {
    const recipients = Array.from({ length: SEALED_MAX_RECIPIENTS }, () => generateBoxKeyPair().publicKey);
    // Addresses whose sealed plaintext is exactly the limit.
    const deviceId = newPeersId();
    const plaintext = (list: string[]) => JSON.stringify({ addresses: list, deviceId, userId }).length; // = JCS here
    const addresses: string[] = [];
    while (plaintext([...addresses, 'x'.repeat(250)]) <= SEALED_MAX_PLAINTEXT_BYTES) addresses.push(`a${addresses.length}:`.padEnd(250, '1'));
    const room = SEALED_MAX_PLAINTEXT_BYTES - plaintext([...addresses, '']);
    expect(room).toBeGreaterThan(2);
    addresses.push('z:'.padEnd(room, '1'));
    expect(plaintext(addresses)).toBe(SEALED_MAX_PLAINTEXT_BYTES);
    const record = await createDeviceRecord({ userId, deviceId, addresses: [], name: '𝔫'.repeat(64), sealedAddresses: { addresses, recipients }, signingKey: signing });
    expect(fromBase64Url(record.sealedAddresses!.box)!.length).toBe(SEALED_MAX_PLAINTEXT_BYTES + 16);
    expect(canonicalBytes(record).length).toBeLessThanOrEqual(DEVICE_MAX_BYTES);
    expect(parseDeviceRecord(record)).toEqual(record);
  });

  it('refuses hostile shapes, each signed correctly', async () => {
    const record = await sealed();
    const s = record.sealedAddresses!;
    const key48 = toBase64Url(nacl.randomBytes(48));
    const entry = () => ({ publicBoxKey: generateBoxKeyPair().publicKey, key: key48 });
    const hostile: Array<[string, unknown]> = [
      ['33 recipients', { ...s, recipients: Array.from({ length: 33 }, entry) }],
      ['10,000 recipients', { ...s, recipients: Array.from({ length: 10_000 }, () => s.recipients[0]) }],
      ['no recipient', { ...s, recipients: [] }],
      ['the same recipient twice', { ...s, recipients: [s.recipients[0], s.recipients[0]] }],
      ['a wrapped key of 47 bytes', { ...s, recipients: [{ ...s.recipients[0], key: toBase64Url(nacl.randomBytes(47)) }] }],
      ['a wrapped key of 49 bytes', { ...s, recipients: [{ ...s.recipients[0], key: toBase64Url(nacl.randomBytes(49)) }] }],
      ['a padded wrapped key', { ...s, recipients: [{ ...s.recipients[0], key: `${key48}==` }] }],
      ['a recipient key of 31 bytes', { ...s, recipients: [{ ...s.recipients[0], publicBoxKey: toBase64Url(nacl.randomBytes(31)) }] }],
      ['the all-zero recipient key', { ...s, recipients: [{ ...s.recipients[0], publicBoxKey: toBase64Url(new Uint8Array(32)) }] }],
      ['a small-order ephemeral key', { ...s, ephemeralKey: toBase64Url(Uint8Array.of(1, ...new Uint8Array(31))) }],
      ['an empty box', { ...s, box: '' }],
      ['a box of only a tag', { ...s, box: toBase64Url(nacl.randomBytes(16)) }],
      ['a box over the limit', { ...s, box: toBase64Url(nacl.randomBytes(SEALED_MAX_PLAINTEXT_BYTES + 17)) }],
      ['a box of 1 MB', { ...s, box: 'A'.repeat(1_000_000) }],
      ['a box that is not base64url', { ...s, box: `${s.box.slice(1)}+` }],
      ['an unknown field', { ...s, nonce: toBase64Url(nacl.randomBytes(24)) }],
      ['an unknown field in a recipient', { ...s, recipients: [{ ...s.recipients[0], label: 'bob' }] }],
      ['no ephemeral key', { recipients: s.recipients, box: s.box }],
      ['a list instead of an object', [s]],
      ['plain addresses', secret],
    ];
    for (const [what, value] of hostile) {
      const edited = await resigned({ ...record, sealedAddresses: value });
      expect([what, codeOfSync(() => parseDeviceRecord(edited))]).toEqual([what, 'INVALID_RECORD']);
    }
  });
});
