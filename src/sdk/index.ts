/**
 * peerkeys SDK: look up and verify peers' keys, manage your own identity, seal messages.
 *
 * ```ts
 * import { RegistryClient } from '@peerkeys/sdk';
 * const registry = new RegistryClient({ url: 'https://keys.example.org', vkey: PINNED_VKEY });
 * const bob = await registry.lookup(bobsUserId); // verified, or it throws
 * ```
 * @packageDocumentation
 */
export { RegistryClient, type RegistryClientOptions, type WitnessOptions, type GroupMemberKeys } from './client.js';
export { CheckpointError, NotFoundError, ReceiptNotVerifiedError, RegistryError, VerificationError, type CheckpointReason, type VerificationCode } from './errors.js';
export type { VerifiedCheckpoint, VerifiedHistoryEntry, VerifiedIdentity, VerifiedReceipt } from './verify.js';
export { verifyCheckpoint, verifyCheckpointsConsistent, verifyEntryInclusion, verifyHistory, verifyLookupBundle, verifyWriteResult } from './verify.js';
export * from './map-verify.js';
export { MemoryStore, LocalStorageStore, type ClientStore } from './store.js';
export { defaultVerifier, webCryptoVerifier } from './crypto.js';
export { tweetnaclVerify } from './tweetnacl-verify.js';
export {
  generateSigningKeyPair,
  generateBoxKeyPair,
  signingKeyPairFromSeed,
  boxKeyPairFromSecretKey,
  signerFor,
  type SigningKeyPair,
  type BoxKeyPair,
} from './keys.js';
export { generateIdentityKeys, createIdentityRecord, type IdentityKeys } from './identity-keys.js';
export {
  createGenesisRecord,
  createSuccessorRecord,
  createDeviceRecord,
  signIdentityRecord,
  type GenesisOptions,
  type SuccessorOptions,
  type DeviceOptions,
} from './records.js';
export {
  createGroupGenesis,
  createGroupUpdate,
  signGroupRecord,
  groupMember,
  withMember,
  withoutMember,
  type GroupGenesisOptions,
  type GroupUpdateOptions,
  type GroupSigner,
} from './group-records.js';
export {
  verifyGroupBundle,
  crossCheckMember,
  type VerifiedGroup,
  type GroupEvidence,
  type MemberCrossCheck,
  type MemberKeyStatus,
} from './group-verify.js';
export type { GroupRecord, GroupMember, GroupRole } from '../protocol/group.js';
export { lookupQuorum, QuorumError, type QuorumAnswer, type QuorumOptions } from './quorum.js';
export { monitor, type MonitorChange, type MonitorHead, type MonitorOptions, type MonitorReport } from './monitor.js';
export {
  resolveAnchors,
  anchorDecision,
  askRegistry,
  askDocument,
  lookupOutcome,
  type Anchor,
  type AnchorAnswer,
  type AnchorDecision,
  type AnchorReason,
  type AnchorResolution,
  type AnchorVerdict,
  type LookupOutcome,
  type PresentedKeys,
  type ResolveAnchorsOptions,
} from './anchors.js';
export {
  readAnchorDocument,
  listsKey,
  anchorDocumentPath,
  anchorDocumentUrl,
  ANCHOR_DOCUMENT_MAX_BYTES,
  ANCHOR_FETCH_TIMEOUT_MS,
  ANCHOR_MAX_AGE_SECONDS,
  type AnchorDocument,
  type AnchorKey,
} from '../protocol/peers-anchor.js';
export { boxKeyBinding, derivedBoxKey, type BoxKeyBinding } from '../protocol/box-key.js';
export {
  peersBoxKeyPair,
  generatePeersIdentityKeys,
  peersIdentityFromSecretKey,
  createPeersGenesis,
  publishPeersIdentity,
  type PeersIdentity,
  type PeersGenesisOptions,
} from './peers-identity.js';
export { seal, open, ReplayGuard, type SealedEnvelope, type Sender, type Recipient, type PublicKeys, type OpenedMessage, type OpenOptions } from './sealed.js';
export { keyFingerprint } from './fingerprint.js';
export { sealDeviceAddresses, openDeviceAddresses, deviceAddresses, type SealAddressesOptions, type SealedAddresses } from './device-addresses.js';
export { newPeersId, isPeersId, boundPeersId, idBinding, userIdBinding, groupIdBinding, type IdBinding, type IdKind } from '../protocol/ids.js';
export type { IdentityRecord } from '../protocol/identity.js';
export type { DeviceRecord } from '../protocol/device.js';
export type { Checkpoint } from '../protocol/checkpoint.js';
export type { JsonValue } from '../protocol/json.js';
export type { LogEntry } from '../protocol/log-entry.js';
export * from './handshake/index.js';
export { TrustBook, DEVICE_KNOWN_AFTER_MS, type PeerMark, type PeerAssessment, type AssessmentReason, type AssessOptions, type PresentedPeer } from './trust-book.js';
