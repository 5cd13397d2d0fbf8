// A stolen rotation key, end to end over HTTP with the SDK: the thief rotates the keys away,
// peers see the thief's keys, the owner notices through monitor(), recovers with the offline key,
// peers see the owner's new keys, and the audit history keeps the thief's records, nullified.
import { expect, it } from '@jest/globals';
import { recordHash } from '../../src/protocol/signing.js';
import {
  RegistryClient,
  createIdentityRecord,
  createSuccessorRecord,
  generateBoxKeyPair,
  generateIdentityKeys,
  generateSigningKeyPair,
  monitor,
} from '../../src/sdk/index.js';
import { useTestRegistry } from '../helpers/registry.js';

// The SDK talks HTTP to a listening registry.
const registry = useTestRegistry({ listen: true });

it('a thief rotates the keys away; the owner recovers with the offline key within the window', async () => {
  const client = () => new RegistryClient({ url: registry.url, vkey: registry.service.logKey.vkey });
  const owner = client();
  const peer = client();

  // The owner registers; rotation keys are [recovery (offline), rotation (on the device)].
  const keys = generateIdentityKeys();
  const genesis = await createIdentityRecord(keys, { name: 'Olivia' });
  await owner.register(genesis);
  const userId = genesis.userId;
  const firstCheck = await monitor(owner, userId, { knownHashes: [recordHash(genesis)] });
  expect(firstCheck.unexpected).toEqual([]);

  // The device is stolen with its rotation key. The thief takes over: new signing and box keys,
  // and rotation keys of their own (they cannot remove what the recovery key can overrule).
  const thief = { signing: generateSigningKeyPair(), box: generateBoxKeyPair(), rotation: generateSigningKeyPair() };
  const takeover = await createSuccessorRecord({
    previous: genesis,
    signingKey: thief.signing,
    boxKey: thief.box,
    rotationKeys: [thief.rotation.publicKey],
    signer: keys.rotation,
  });
  await client().submit(takeover);
  const more = await createSuccessorRecord({ previous: takeover, signingKey: thief.signing, signer: thief.rotation, name: 'not Olivia' });
  await client().submit(more);

  // Peers now get the thief's keys: the registry cannot tell; the chain is validly signed.
  expect((await peer.lookup(userId)).publicKey).toBe(thief.signing.publicKey);

  // The owner's monitor reports both records as unexpected.
  const alarm = await monitor(owner, userId, { knownHashes: [recordHash(genesis)] });
  expect(alarm.unexpected.map((c) => c.hash)).toEqual([recordHash(takeover), recordHash(more)]);
  // ...and the head the key map holds is the thief's, which the owner did not make.
  expect(alarm.head).toMatchObject({ hash: recordHash(more), expected: false });
  expect(alarm.historyError).toBeUndefined();

  // Recovery with the offline key, which is stronger than the stolen one; fresh keys throughout.
  const fresh = { signing: generateSigningKeyPair(), box: generateBoxKeyPair(), rotation: generateSigningKeyPair() };
  const { record: recovery } = await owner.recover({
    userId,
    undoFrom: alarm.unexpected[0]!.hash,
    signer: keys.recovery,
    signingKey: fresh.signing,
    boxKey: fresh.box,
    rotationKeys: [keys.recovery.publicKey, fresh.rotation.publicKey],
  });
  expect(recovery.seq).toBe(1);
  expect(recovery.prev).toBe(recordHash(genesis));

  // Peers — the same client that saw the thief's keys — now get the owner's new keys.
  const after = await peer.lookup(userId);
  expect(after.publicKey).toBe(fresh.signing.publicKey);
  expect(after.publicBoxKey).toBe(fresh.box.publicKey);
  expect(after.entries.map((e) => e.record)).toEqual([genesis, recovery]);

  // The audit history keeps everything, the thief's records marked nullified, and verifies.
  const { entries } = await owner.history(userId);
  expect(entries.map((e) => [e.hash, e.nullified])).toEqual([
    [recordHash(genesis), false],
    [recordHash(takeover), true],
    [recordHash(more), true],
    [recordHash(recovery), false],
  ]);

  // The thief's rotation key is worthless now: its records are nullified, the head does not list it.
  const retry = await createSuccessorRecord({ previous: more, signingKey: thief.signing, signer: thief.rotation });
  await expect(client().submit(retry)).rejects.toMatchObject({ code: 'PREV_MISMATCH' });
  const stolenAgain = await createSuccessorRecord({ previous: recovery, signingKey: thief.signing, signer: keys.rotation });
  await expect(client().submit(stolenAgain)).rejects.toMatchObject({ code: 'UNAUTHORIZED_SIGNER' });
});
