/**
 * The SDK's lookup-and-verify part (`@peerkeys/sdk/lookup`), for apps and pages that only look
 * keys up: the same functions and classes as the main entry, without the code that makes keys,
 * signs records, seals messages or runs handshakes. tweetnacl is then imported only where
 * WebCrypto cannot verify Ed25519, and only when first needed — a bundler that splits code at
 * `import()` keeps it out of the page (docs/sdk.md, "Size").
 *
 * ```ts
 * import { RegistryClient } from '@peerkeys/sdk/lookup';
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
export { verifyGroupBundle, crossCheckMember, type VerifiedGroup, type GroupEvidence, type MemberCrossCheck, type MemberKeyStatus } from './group-verify.js';
export { lookupQuorum, QuorumError, type QuorumAnswer, type QuorumOptions } from './quorum.js';
export { monitor, type MonitorChange, type MonitorHead, type MonitorOptions, type MonitorReport } from './monitor.js';
export { keyFingerprint } from './fingerprint.js';
export { isPeersId, idBinding, userIdBinding, groupIdBinding, type IdBinding, type IdKind } from '../protocol/ids.js';
export { boxKeyBinding, type BoxKeyBinding } from '../protocol/box-key.js';
export type { IdentityRecord } from '../protocol/identity.js';
export type { DeviceRecord } from '../protocol/device.js';
export type { GroupRecord, GroupMember, GroupRole } from '../protocol/group.js';
export type { Checkpoint } from '../protocol/checkpoint.js';
export type { JsonValue } from '../protocol/json.js';
export type { LogEntry } from '../protocol/log-entry.js';
