import { describe, expect, it } from '@jest/globals';
import { checkDeviceUpdate, parseDeviceRecord, verifyDeviceSignature } from '../../src/protocol/device.js';
import { checkGenesis, checkSuccessor } from '../../src/protocol/identity-rules.js';
import { parseIdentityRecord, verifyIdentitySignatures, type UnsignedIdentityRecord } from '../../src/protocol/identity.js';
import { isPeersId } from '../../src/protocol/ids.js';
import { recordHash } from '../../src/protocol/signing.js';
import { formatTimestamp, parseTimestamp } from '../../src/protocol/time.js';
import { createDeviceRecord, createGenesisRecord, createSuccessorRecord, signIdentityRecord } from '../../src/sdk/records.js';
import { T0, USER_ID, boxKey, entry, genesis, signingKey } from '../helpers/fixed-identities.js';
import { naclVerify } from '../helpers/tweetnacl-verify.js';

describe('createGenesisRecord', () => {
  it('makes a record that parses, verifies and passes the genesis rule', async () => {
    const record = await genesis({ rotationKeys: [signingKey(2).publicKey, signingKey(3).publicKey], signer: signingKey(3) });
    expect(parseIdentityRecord(record)).toEqual(record);
    await verifyIdentitySignatures(record, naclVerify);
    expect(() => checkGenesis(record)).not.toThrow();
    expect(record).toMatchObject({ type: 'identity', userId: USER_ID, seq: 0, prev: null, status: 'active', createdAt: T0 });
    expect(record.publicKey).toBe(signingKey(1).publicKey);
    expect(record.publicBoxKey).toBe(boxKey(1).publicKey);
    expect(record.signer).toBe(signingKey(3).publicKey);
  });

  it('includes name only when given', async () => {
    expect('name' in (await genesis())).toBe(false);
    expect((await genesis({ name: 'Alice' })).name).toBe('Alice');
  });

  it('defaults to a fresh Peers id and the current time', async () => {
    const before = Date.now();
    const record = await createGenesisRecord({ signingKey: signingKey(1), boxKey: boxKey(1), rotationKeys: [signingKey(1).publicKey], signer: signingKey(1) });
    expect(isPeersId(record.userId)).toBe(true);
    expect(record.userId).not.toBe((await createGenesisRecord({ signingKey: signingKey(1), boxKey: boxKey(1), rotationKeys: [signingKey(1).publicKey], signer: signingKey(1) })).userId);
    const createdAt = parseTimestamp(record.createdAt)!;
    expect(createdAt).toBeGreaterThanOrEqual(before);
    expect(createdAt).toBeLessThanOrEqual(Date.now());
  });

  it('accepts a box key given as a public key only', async () => {
    const record = await genesis({ boxKey: { publicKey: boxKey(2).publicKey } });
    expect(record.publicBoxKey).toBe(boxKey(2).publicKey);
  });
});

describe('signIdentityRecord', () => {
  it('refuses keys that do not match the record’s publicKey and signer', async () => {
    const unsigned: UnsignedIdentityRecord = {
      type: 'identity',
      userId: USER_ID,
      seq: 0,
      prev: null,
      publicKey: signingKey(1).publicKey,
      publicBoxKey: boxKey(1).publicKey,
      rotationKeys: [signingKey(2).publicKey],
      status: 'active',
      createdAt: T0,
      signer: signingKey(2).publicKey,
    };
    await expect(signIdentityRecord(unsigned, signingKey(3), signingKey(2))).rejects.toThrow(TypeError);
    await expect(signIdentityRecord(unsigned, signingKey(1), signingKey(3))).rejects.toThrow(TypeError);
    const signed = await signIdentityRecord(unsigned, signingKey(1), signingKey(2));
    await verifyIdentitySignatures(signed, naclVerify);
  });
});

describe('createSuccessorRecord', () => {
  it('links to the previous record and passes the chain rules', async () => {
    const g = await genesis({ rotationKeys: [signingKey(2).publicKey], signer: signingKey(2), name: 'Alice' });
    const next = await createSuccessorRecord({ previous: g, signingKey: signingKey(4), signer: signingKey(2), createdAt: '2026-11-24T21:00:01.000Z' });
    expect(next).toMatchObject({ seq: 1, prev: recordHash(g), userId: g.userId, publicKey: signingKey(4).publicKey, status: 'active' });
    expect(parseIdentityRecord(next)).toEqual(next);
    await verifyIdentitySignatures(next, naclVerify);
    expect(checkSuccessor([entry(g)], next, parseTimestamp(next.createdAt)!).kind).toBe('update');
  });

  it('keeps the box key, rotation keys and name unless told otherwise', async () => {
    const g = await genesis({ rotationKeys: [signingKey(2).publicKey, signingKey(3).publicKey], signer: signingKey(2), name: 'Alice' });
    const kept = await createSuccessorRecord({ previous: g, signingKey: signingKey(1), signer: signingKey(3) });
    expect(kept.publicBoxKey).toBe(g.publicBoxKey);
    expect(kept.rotationKeys).toEqual(g.rotationKeys);
    expect(kept.name).toBe('Alice');

    const changed = await createSuccessorRecord({
      previous: g,
      signingKey: signingKey(1),
      signer: signingKey(3),
      boxKey: boxKey(2),
      rotationKeys: [signingKey(5).publicKey],
      name: 'Alicia',
      status: 'revoked',
    });
    expect(changed).toMatchObject({ publicBoxKey: boxKey(2).publicKey, rotationKeys: [signingKey(5).publicKey], name: 'Alicia', status: 'revoked' });
    await verifyIdentitySignatures(changed, naclVerify);
  });

  it('removes the name when given null', async () => {
    const g = await genesis({ name: 'Alice' });
    const unnamed = await createSuccessorRecord({ previous: g, signingKey: signingKey(1), signer: signingKey(1), name: null });
    expect('name' in unnamed).toBe(false);
    expect(parseIdentityRecord(unnamed)).toEqual(unnamed);
  });

  it('defaults createdAt to now, or 1 ms after the previous record if that is later', async () => {
    const before = Date.now();
    const past = await genesis();
    const fromPast = await createSuccessorRecord({ previous: past, signingKey: signingKey(1), signer: signingKey(1) });
    expect(parseTimestamp(fromPast.createdAt)!).toBeGreaterThanOrEqual(before);
    expect(parseTimestamp(fromPast.createdAt)!).toBeLessThanOrEqual(Date.now());

    const future = await genesis({ createdAt: formatTimestamp(Date.now() + 60_000) });
    const fromFuture = await createSuccessorRecord({ previous: future, signingKey: signingKey(1), signer: signingKey(1) });
    expect(parseTimestamp(fromFuture.createdAt)).toBe(parseTimestamp(future.createdAt)! + 1);
  });
});

describe('createDeviceRecord', () => {
  it('makes a record that parses, verifies and passes the device rules', async () => {
    const record = await createDeviceRecord({ userId: USER_ID, addresses: ['192.168.1.2:5000'], signingKey: signingKey(1) });
    expect(parseDeviceRecord(record)).toEqual(record);
    await verifyDeviceSignature(record, naclVerify);
    expect(() => checkDeviceUpdate(record, { identity: { publicKey: signingKey(1).publicKey, status: 'active' }, stored: null })).not.toThrow();
  });

  it('defaults deviceId, status and updatedAt, and leaves out name and expiresAt', async () => {
    const before = Date.now();
    const record = await createDeviceRecord({ userId: USER_ID, addresses: [], signingKey: signingKey(1) });
    expect(isPeersId(record.deviceId)).toBe(true);
    expect(record.status).toBe('active');
    expect(parseTimestamp(record.updatedAt)!).toBeGreaterThanOrEqual(before);
    expect('name' in record).toBe(false);
    expect('expiresAt' in record).toBe(false);
    expect(record.signer).toBe(signingKey(1).publicKey);
  });

  it('includes everything it is given', async () => {
    const record = await createDeviceRecord({
      userId: USER_ID,
      deviceId: '0000000000ddddddddddddddd',
      addresses: ['https://phone.local:8443'],
      name: 'phone',
      status: 'revoked',
      updatedAt: T0,
      expiresAt: '2026-11-25T21:00:00.000Z',
      signingKey: signingKey(1),
    });
    expect(record).toMatchObject({ deviceId: '0000000000ddddddddddddddd', name: 'phone', status: 'revoked', updatedAt: T0, expiresAt: '2026-11-25T21:00:00.000Z' });
    await verifyDeviceSignature(parseDeviceRecord(record), naclVerify);
  });
});
