/** RegistryClient's identity calls: verified lookups and histories, registering, updating and recovering an identity. */
import type { IdentityRecord } from '../../protocol/identity.js';
import { recordHash } from '../../protocol/signing.js';
import type { SigningKeyPair } from '../keys.js';
import { createSuccessorRecord } from '../records.js';
import { LIST_CAPS } from '../list-caps.js';
import { checkHistoryHead, type VerifiedRegistryCheckpoint } from '../map-verify.js';
import { verifyEntryInclusion, verifyHistory, verifyLookupBundle, type VerifiedHistoryEntry, type VerifiedIdentity, type VerifiedReceipt } from '../verify.js';
import { VerifiedState } from './state.js';

export class IdentityClient extends VerifiedState {
  /**
   * Looks up a user's keys and verifies everything about them: every record of the chain (schema,
   * signatures, proof of possession, links, seq, times), the head's inclusion proof, the
   * checkpoint's signature, age and consistency with the last checkpoint this client saw, and
   * the map proof: the head is the newest record as of the checkpoint's time.
   * @throws VerificationError when any check fails (STALE_ANSWER for a head that is not the key
   * map's; UNVERIFIED_ABSENCE for a 404 without a valid absence proof; STALE_CHECKPOINT);
   * NotFoundError (a RegistryError, 404 `NOT_FOUND`) when the id is proven absent;
   * RegistryError when the registry refuses.
   */
  async lookup(userId: string): Promise<VerifiedIdentity> {
    const identity = await this.acrossPages(async (seen) => {
      const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}`, 'entries', LIST_CAPS.chain, seen).catch((error: unknown) => this.absence(error, { kind: 'user', id: userId }));
      return verifyLookupBundle(raw, userId, this.key, await this.verifier);
    });
    await this.acceptCheckpoint(identity.checkpoint);
    await this.acceptHead(userId, identity.head);
    return identity;
  }

  /**
   * The identity's full audit history, nullified records included and marked, verified from the
   * log: every record's signatures, the chain replayed in log order (so the nullified marks must
   * be right), each entry's inclusion in a verified checkpoint, and completeness against the key
   * map: the live chain must end at the head a verified lookup proves to be the map's (else
   * INCOMPLETE_HISTORY). Entries written after that lookup's checkpoint are left for the next
   * call. `from` skips entries below a log index (their inclusion was checked before), though all
   * are still replayed. `identity` is a verified lookup of `userId` made a moment ago, to save
   * making another.
   */
  async history(userId: string, options: { from?: number; identity?: VerifiedIdentity } = {}): Promise<{ entries: VerifiedHistoryEntry[]; checkpoint: VerifiedRegistryCheckpoint }> {
    const identity = options.identity ?? (await this.lookup(userId));
    if (identity.userId !== userId) throw new TypeError(`the identity given is ${identity.userId}'s, not ${userId}'s`);
    const { checkpoint } = identity;
    const all = await this.acrossPages(async (seen) => {
      const raw = await this.list(`/v1/users/${encodeURIComponent(userId)}/log`, 'entries', LIST_CAPS.history, seen);
      return verifyHistory(raw, userId, await this.verifier);
    });
    const entries = checkHistoryHead(all, identity.head, checkpoint.size);
    for (const entry of entries) {
      if (entry.index < (options.from ?? 0)) continue;
      verifyEntryInclusion(entry.index, entry.acceptedAt, entry.record, await this.inclusionProof(entry.index, checkpoint.size), checkpoint);
    }
    return { entries, checkpoint };
  }

  /**
   * Recovers an identity after a theft (DESIGN.md §2): overrules the live records from `undoFrom`
   * on (e.g. `monitor(...).unexpected[0].hash`) with a new record that forks from the record
   * before it, signed by `signer` — a rotation key stronger (earlier in that record's rotation
   * keys) than the one that signed `undoFrom`. Possible within 72 hours of `undoFrom`'s acceptance.
   */
  async recover(options: {
    userId: string;
    undoFrom: string;
    signer: SigningKeyPair;
    signingKey: SigningKeyPair;
    boxKey?: { publicKey: string };
    rotationKeys?: string[];
    name?: string | null;
  }): Promise<{ record: IdentityRecord; receipt: VerifiedReceipt }> {
    const identity = await this.lookup(options.userId);
    const at = identity.entries.findIndex((e) => recordHash(e.record) === options.undoFrom);
    if (at < 1) throw new TypeError('undoFrom must be the hash of a live record after the genesis');
    const record = await createSuccessorRecord({
      previous: identity.entries[at - 1]!.record,
      signingKey: options.signingKey,
      signer: options.signer,
      ...(options.boxKey !== undefined ? { boxKey: options.boxKey } : {}),
      ...(options.rotationKeys !== undefined ? { rotationKeys: options.rotationKeys } : {}),
      ...(options.name !== undefined ? { name: options.name } : {}),
    });
    return { record, receipt: await this.submit(record) };
  }

  /** Submits a genesis record (see `createGenesisRecord`) and verifies the registry's receipt. */
  register(record: IdentityRecord): Promise<VerifiedReceipt> {
    return this.postRecord('/v1/users', record, record.userId, 'head');
  }

  /** Submits an update, rotation, revocation or recovery and verifies the receipt. */
  submit(record: IdentityRecord): Promise<VerifiedReceipt> {
    return this.postRecord(`/v1/users/${encodeURIComponent(record.userId)}`, record, record.userId, 'head');
  }

}
