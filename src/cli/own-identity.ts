/**
 * The identity a keys file holds, as the registry shows it — verified — and the keys in the file
 * that the verified head makes current. A head whose signing key the file does not hold means
 * someone else changed the identity: the commands that would build on it (rotate, revoke,
 * device) refuse and point to `peerkeys recover` rather than quietly extend a thief's record.
 */
import type { IdentityRecord } from '../protocol/identity.js';
import type { RegistryClient } from '../sdk/client.js';
import { keyFingerprint } from '../sdk/fingerprint.js';
import type { SigningKeyPair } from '../sdk/keys.js';
import type { VerifiedIdentity } from '../sdk/verify.js';
import { EXIT } from './command.js';
import { CommandFailure } from './failure.js';
import type { Keyring } from './keys-file.js';

export interface OwnIdentity {
  identity: VerifiedIdentity;
  head: IdentityRecord;
  /** The head's signing key, from the keys file. */
  signingKey: SigningKeyPair;
  /** The weakest of the head's rotation keys the file holds: what routine updates are signed with. */
  rotationKey: SigningKeyPair;
}

export async function ownIdentity(client: RegistryClient, keyring: Keyring): Promise<OwnIdentity> {
  const identity = await client.lookup(keyring.userId);
  const head = identity.entries[identity.entries.length - 1]!.record;
  if (identity.status === 'revoked') {
    throw new CommandFailure(`${keyring.userId} is revoked. Only a recovery can follow a revocation: if you did not revoke it, see \`peerkeys recover --help\``, EXIT.FAILED, 'IDENTITY_REVOKED');
  }
  const signingKey = keyring.signingKey(identity.publicKey);
  if (signingKey === null) {
    throw new CommandFailure(
      `the registry's verified head of ${keyring.userId} (seq ${head.seq}) names signing key ${keyFingerprint(identity.publicKey)}, which is not in ${keyring.path}. ` +
        'If you did not make that change, someone holding one of your rotation keys did: run `peerkeys lookup --history`, then `peerkeys recover --undo-from <hash>` within 72 hours of it.',
      EXIT.FAILED,
      'NOT_OWN_HEAD',
    );
  }
  const rotationKey = keyring.rotationKey(identity.rotationKeys);
  if (rotationKey === null) {
    throw new CommandFailure(
      `none of the rotation keys of ${keyring.userId}'s verified head is in ${keyring.path}, so it cannot authorise an update. ` +
        'If you did not replace them, someone else did: see `peerkeys recover --help`.',
      EXIT.FAILED,
      'NO_ROTATION_KEY',
    );
  }
  return { identity, head, signingKey, rotationKey };
}
