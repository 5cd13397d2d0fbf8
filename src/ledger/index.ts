/** The ledger: entry kinds, their state and one replay of the log (see each module). */
export { admitRecord, entryKindOf } from './admit.js';
export { isWriteOf, Write, type AnyEntryKind, type ChainHead, type ChainRef, type Decision, type EntryKind, type KindRecord, type LedgerView, type LogPosition, type LogWrite, type WriteMode } from './entry-kind.js';
export { ForkDetected, InvalidEntry, LedgerError, MapRootMismatchDetected, UnknownEntryKind, type LedgerErrorCode } from './errors.js';
export { LedgerState, type StateStore } from './ledger-state.js';
export { ENTRY_KINDS, groupKind, identityKind } from './kinds/index.js';
export { identityAt, type IdentityState } from './kinds/identity.js';
export type { GroupLogEntry, GroupState } from './kinds/group.js';
export { replayLog, type LogSource, type ReplayedEntry, type ReplayOptions, type SourceEntry, type TreeEdge } from './replay.js';
