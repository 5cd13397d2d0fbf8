/**
 * The entry kinds this version of peerkeys knows, by the `type` their records carry. A kind not
 * listed here is an UnknownEntryKind wherever the log is followed: stopped at, never skipped. To
 * add a kind: write its EntryKind in a file of its own beside these and list it here.
 */
import type { AnyEntryKind } from '../entry-kind.js';
import { groupKind } from './group.js';
import { identityKind } from './identity.js';

export const ENTRY_KINDS: ReadonlyMap<string, AnyEntryKind> = new Map<string, AnyEntryKind>([
  [identityKind.type, identityKind],
  [groupKind.type, groupKind],
]);

export { groupKind, identityKind };
