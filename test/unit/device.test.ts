import nacl from 'tweetnacl';
import { beforeAll, describe, expect, it } from '@jest/globals';
import {
  DEVICE_MAX_BYTES,
  MAX_ADDRESS_LENGTH,
  MAX_DEVICE_ADDRESSES,
  checkDeviceUpdate,
  deviceSigningInput,
  parseDeviceRecord,
  verifyDeviceSignature,
  type DeviceContext,
  type DeviceRecord,
} from '../../src/protocol/device.js';
import { toBase64Url } from '../../src/protocol/encoding.js';
import { canonicalBytes, type VerifySignature } from '../../src/protocol/signing.js';
import { createDeviceRecord } from '../../src/sdk/records.js';
import { nodeVerify } from '../../src/node/node-ed25519.js';
import { SMALL_ORDER_ED25519, b64url } from '../helpers/bytes.js';
import { T0, USER_ID, signingKey } from '../helpers/fixed-identities.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';
import { codeOf } from '../helpers/errors.js';
import { expectWith } from '../helpers/expect-with.js';

const parseCode = (value: unknown) => codeOf(() => parseDeviceRecord(value));
const DEVICE_ID = '0000000000ddddddddddddddd';

function edit(record: DeviceRecord, changes: Record<string, unknown>): Record<string, unknown> {
  const copy: Record<string, unknown> = JSON.parse(JSON.stringify(record));
  for (const [key, value] of Object.entries(changes)) {
    if (value === undefined) delete copy[key];
    else copy[key] = value;
  }
  return copy;
}

/** `count` distinct addresses of `length` code points each. */
const addressList = (count: number, length: number, filler = 'a') =>
  Array.from({ length: count }, (_, i) => `${i.toString(36)}${filler.repeat(length - 1)}`);

let d: DeviceRecord; // signed by key 1, two addresses, a name, an expiry

beforeAll(async () => {
  d = await createDeviceRecord({
    userId: USER_ID,
    deviceId: DEVICE_ID,
    addresses: ['https://laptop.local:8443', '192.168.1.2:5000'],
    name: 'laptop',
    updatedAt: T0,
    expiresAt: '2026-12-24T21:00:00.000Z',
    signingKey: signingKey(1),
  });
}, 120_000);

describe('parseDeviceRecord: valid records', () => {
  it('accepts a record built by createDeviceRecord, unchanged', async () => {
    expect(parseDeviceRecord(d)).toEqual(d);
    const bare = await createDeviceRecord({ userId: USER_ID, addresses: [], signingKey: signingKey(1) });
    expect(parseDeviceRecord(bare)).toEqual(bare);
  });

  it(`accepts ${MAX_DEVICE_ADDRESSES} addresses of ${MAX_ADDRESS_LENGTH} code points`, async () => {
    expect(await parseCode(edit(d, { addresses: addressList(MAX_DEVICE_ADDRESSES, MAX_ADDRESS_LENGTH) }))).toBe('ok');
    expect(await parseCode(edit(d, { addresses: [`x${'😀'.repeat(MAX_ADDRESS_LENGTH - 1)}`] }))).toBe('ok');
  });

  it('accepts an expiresAt 1 ms after updatedAt, and none at all', async () => {
    expect(await parseCode(edit(d, { expiresAt: '2026-11-24T21:00:00.001Z' }))).toBe('ok');
    expect(await parseCode(edit(d, { expiresAt: undefined }))).toBe('ok');
  });
});

describe('parseDeviceRecord: schema limits', () => {
  it(`rejects ${MAX_DEVICE_ADDRESSES + 1} addresses`, async () => {
    expect(MAX_DEVICE_ADDRESSES).toBe(16);
    expect(await parseCode(edit(d, { addresses: addressList(17, 10) }))).toBe('INVALID_RECORD');
  });

  it(`rejects an address of ${MAX_ADDRESS_LENGTH + 1} code points, and an empty one`, async () => {
    expect(MAX_ADDRESS_LENGTH).toBe(256);
    expect(await parseCode(edit(d, { addresses: ['a'.repeat(257)] }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { addresses: ['😀'.repeat(257)] }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { addresses: [''] }))).toBe('INVALID_RECORD');
  });

  it('rejects duplicate addresses', async () => {
    expect(await parseCode(edit(d, { addresses: ['10.0.0.1:5000', '10.0.0.2:5000', '10.0.0.1:5000'] }))).toBe('INVALID_RECORD');
  });

  it('rejects whitespace and control characters in an address', async () => {
    for (const c of [' ', '\t', '\n', '\r', '\u00a0', '\u2028', '\u3000', '\ufeff', '\u0000', '\u007f', '\u0085']) {
      expectWith(await parseCode(edit(d, { addresses: [`10.0.0.1${c}:5000`] })), JSON.stringify(c)).toBe('INVALID_RECORD');
    }
  });

  it('rejects an expiresAt that is not after updatedAt', async () => {
    expect(await parseCode(edit(d, { expiresAt: d.updatedAt }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { expiresAt: '2026-11-24T20:59:59.999Z' }))).toBe('INVALID_RECORD');
  });

  it('rejects a name over 64 code points, empty, or with control characters', async () => {
    expect(await parseCode(edit(d, { name: '😀'.repeat(64) }))).toBe('ok');
    expect(await parseCode(edit(d, { name: 'a'.repeat(65) }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { name: '' }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { name: 'lap\ntop' }))).toBe('INVALID_RECORD');
  });

  it('rejects unknown and missing fields', async () => {
    expect(await parseCode(edit(d, { extra: true }))).toBe('INVALID_RECORD');
    expect(await parseCode(edit(d, { seq: 0 }))).toBe('INVALID_RECORD');
    for (const field of ['type', 'userId', 'deviceId', 'addresses', 'status', 'updatedAt', 'signer', 'sig']) {
      expectWith(await parseCode(edit(d, { [field]: undefined })), field).toBe('INVALID_RECORD');
    }
  });

  it('rejects wrong types and values', async () => {
    const wrong: Record<string, unknown>[] = [
      { type: 'identity' },
      { userId: 'not-a-peers-id' },
      { deviceId: DEVICE_ID.toUpperCase() },
      { addresses: '10.0.0.1:5000' },
      { addresses: [5000] },
      { status: 'lost' },
      { updatedAt: '2026-11-24T21:00:00Z' },
      { expiresAt: null },
      { signer: `${d.signer}=` },
      { signer: b64url(SMALL_ORDER_ED25519[1]!) },
      { sig: b64url(new Uint8Array(63)) },
    ];
    for (const changes of wrong) expectWith(await parseCode(edit(d, changes)), JSON.stringify(changes)).toBe('INVALID_RECORD');
  });
});

describe('parseDeviceRecord: size', () => {
  /** Addresses that bring this record's canonical JSON to exactly `target` bytes. */
  function addressesForSize(target: number): string[] {
    const addresses = addressList(MAX_DEVICE_ADDRESSES, MAX_ADDRESS_LENGTH);
    let extra = target - canonicalBytes(edit(d, { addresses })).length;
    // A '😀' in place of an 'a' adds 3 UTF-8 bytes and no code points; an 'é' adds 1.
    for (let i = 0; extra > 0; i++) {
      const address = addresses[i % addresses.length]!;
      const position = 1 + Math.floor(i / addresses.length);
      const replacement = extra >= 3 ? '😀' : 'é';
      extra -= replacement === '😀' ? 3 : 1;
      addresses[i % addresses.length] = [...address].map((c, j) => (j === position ? replacement : c)).join('');
    }
    return addresses;
  }

  it(`accepts exactly ${DEVICE_MAX_BYTES} bytes of canonical JSON and rejects one more (the limit is reachable)`, async () => {
    const fits = edit(d, { addresses: addressesForSize(DEVICE_MAX_BYTES) });
    expect(canonicalBytes(fits).length).toBe(DEVICE_MAX_BYTES);
    expect(await parseCode(fits)).toBe('ok');
    const over = edit(d, { addresses: addressesForSize(DEVICE_MAX_BYTES + 1) });
    expect(canonicalBytes(over).length).toBe(DEVICE_MAX_BYTES + 1);
    expect(await parseCode(over)).toBe('INVALID_RECORD');
  });
});

describe('verifyDeviceSignature', () => {
  const verifiers: [string, VerifySignature][] = [
    ['tweetnacl', naclVerify],
    ['node', nodeVerify],
  ];
  for (const [name, verify] of verifiers) {
    describe(`with the ${name} verifier`, () => {
      it('passes for a good record', async () => {
        expect(await codeOf(() => verifyDeviceSignature(d, verify))).toBe('ok');
      });

      it('fails with BAD_SIGNATURE for a signature by another key', async () => {
        const sig = toBase64Url(nacl.sign.detached(deviceSigningInput(d), signingKey(2).secretKey));
        expect(await codeOf(() => verifyDeviceSignature({ ...d, sig }, verify))).toBe('BAD_SIGNATURE');
        expect(await codeOf(() => verifyDeviceSignature({ ...d, signer: signingKey(2).publicKey }, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE when any signed field changed', async () => {
        const changes: Partial<DeviceRecord>[] = [
          { userId: '0000000000bbbbbbbbbbbbbbb' },
          { deviceId: '0000000000eeeeeeeeeeeeeee' },
          { addresses: [...d.addresses].reverse() },
          { addresses: [d.addresses[0]!] },
          { name: 'phone' },
          { status: 'revoked' },
          { updatedAt: '2026-11-24T21:00:00.001Z' },
          { expiresAt: '2027-12-24T21:00:00.000Z' },
        ];
        for (const change of changes) {
          expectWith(await codeOf(() => verifyDeviceSignature({ ...d, ...change }, verify)), JSON.stringify(change)).toBe('BAD_SIGNATURE');
        }
        const { expiresAt: _, ...noExpiry } = d;
        expect(await codeOf(() => verifyDeviceSignature(noExpiry, verify))).toBe('BAD_SIGNATURE');
      });

      it('fails with BAD_SIGNATURE for a signature made for another record type', async () => {
        const asIdentity = new Uint8Array([...new TextEncoder().encode('peerkeys:v1:identity\n'), ...deviceSigningInput(d).subarray('peerkeys:v1:device\n'.length)]);
        const sig = toBase64Url(nacl.sign.detached(asIdentity, signingKey(1).secretKey));
        expect(await codeOf(() => verifyDeviceSignature({ ...d, sig }, verify))).toBe('BAD_SIGNATURE');
      });
    });
  }
});

describe('checkDeviceUpdate', () => {
  const context = (changes: Partial<DeviceContext> = {}): DeviceContext => ({
    identity: { publicKey: signingKey(1).publicKey, status: 'active' },
    stored: null,
    ...changes,
  });

  it('accepts a first record signed by the current publicKey', () => {
    expect(() => checkDeviceUpdate(d, context())).not.toThrow();
  });

  it('accepts a record newer than the stored one, by 1 ms', () => {
    const stored = { ...d, updatedAt: '2026-11-24T20:59:59.999Z' };
    expect(() => checkDeviceUpdate(d, context({ stored }))).not.toThrow();
  });

  it('rejects any record for a revoked identity with REVOKED', async () => {
    expect(await codeOf(() => checkDeviceUpdate(d, context({ identity: { publicKey: signingKey(1).publicKey, status: 'revoked' } })))).toBe('REVOKED');
  });

  it('rejects a signer that is not the current publicKey with UNAUTHORIZED_SIGNER', async () => {
    // e.g. a rotation key, or the signing key the identity has since rotated away from
    expect(await codeOf(() => checkDeviceUpdate(d, context({ identity: { publicKey: signingKey(2).publicKey, status: 'active' } })))).toBe('UNAUTHORIZED_SIGNER');
  });

  it('rejects an updatedAt equal to or older than the stored one with STALE_DEVICE', async () => {
    expect(await codeOf(() => checkDeviceUpdate(d, context({ stored: d })))).toBe('STALE_DEVICE');
    const newer = { ...d, updatedAt: '2026-11-24T21:00:00.001Z' };
    expect(await codeOf(() => checkDeviceUpdate(d, context({ stored: newer })))).toBe('STALE_DEVICE');
  });
});
