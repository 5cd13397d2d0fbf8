/**
 * What a follower of a registry's log (the mirror, `peerkeys log verify`) checks in one entry by
 * itself, dispatched on the record's `type` — the log entry's kind (DESIGN.md §5): the record's
 * strict schema and its signatures, and which ledger (server/log/log-writer.ts) applies its chain
 * rules. Chain rules need the state before the entry, so they are applied later, in log order.
 *
 * Identities and groups are known. A kind this code does not know is an UnknownEntryKind, never
 * skipped: a follower that skipped entries would serve a log it did not verify. To add a kind,
 * add its parser, signature check and ledger to ENTRY_KINDS.
 */
import { ProtocolError } from '../protocol/errors.js';
import { parseGroupRecord, verifyGroupSignature, type GroupRecord } from '../protocol/group.js';
import { parseIdentityRecord, verifyIdentitySignatures, type IdentityRecord } from '../protocol/identity.js';
import { canonicalJson, type JsonObject } from '../protocol/json.js';
import { recordHash } from '../protocol/signing.js';
import { groupLedger, type GroupWrite } from '../server/group/group-ledger.js';
import { identityLedger, type IdentityWrite } from '../server/identity/identity-ledger.js';
import type { Ledger, LogWrite } from '../server/log/log-writer.js';
import { nodeVerify } from '../node/node-ed25519.js';

/** An entry whose record passed its kind's schema and signature checks. */
export interface AdmittedEntry {
  index: number;
  acceptedAt: string;
  acceptedAtMs: number;
  /** The record as its ledger takes it. */
  write: LogWrite;
  ledger: Ledger<LogWrite>;
}

/** One kind of log entry: how to admit its record. */
interface EntryKind {
  admit(value: JsonObject): Promise<{ write: LogWrite; ledger: Ledger<LogWrite> }>;
}

const identityKind: EntryKind = {
  async admit(value) {
    const record: IdentityRecord = parseIdentityRecord(value);
    await verifyIdentitySignatures(record, nodeVerify);
    const write: IdentityWrite = {
      kind: 'identity',
      // Which endpoint it came through, as the registry's ledger distinguishes them: a genesis
      // for an existing userId is then refused exactly as the registry refuses it.
      mode: record.seq === 0 ? 'genesis' : 'successor',
      record,
      canonical: canonicalJson(record),
      hash: recordHash(record),
    };
    return { write, ledger: identityLedger as unknown as Ledger<LogWrite> };
  },
};

const groupKind: EntryKind = {
  async admit(value) {
    const record: GroupRecord = parseGroupRecord(value);
    await verifyGroupSignature(record, nodeVerify);
    const write: GroupWrite = { kind: 'group', mode: record.seq === 0 ? 'genesis' : 'successor', record, canonical: canonicalJson(record), hash: recordHash(record) };
    return { write, ledger: groupLedger as unknown as Ledger<LogWrite> };
  },
};

const ENTRY_KINDS: ReadonlyMap<string, EntryKind> = new Map([
  ['identity', identityKind],
  ['group', groupKind],
]);

/** An entry of a kind this peerkeys does not know (a newer registry's): stop, never skip. */
export class UnknownEntryKind extends Error {
  constructor(
    readonly index: number,
    readonly kind: string,
  ) {
    super(`log entry ${index} is a "${kind}" record, a kind this version of peerkeys cannot verify; upgrade peerkeys to follow this registry`);
    this.name = 'UnknownEntryKind';
  }
}

/** An entry whose record breaks its schema, its signatures or its chain's rules. */
export class InvalidEntry extends Error {
  constructor(
    readonly index: number,
    message: string,
  ) {
    super(`log entry ${index}: ${message}`);
    this.name = 'InvalidEntry';
  }
}

/** Checks one entry's record by itself. Throws UnknownEntryKind or InvalidEntry. */
export async function admitEntry(entry: { index: number; acceptedAt: string; acceptedAtMs: number; record: JsonObject }): Promise<AdmittedEntry> {
  const type = entry.record['type'];
  const kind = typeof type === 'string' ? ENTRY_KINDS.get(type) : undefined;
  if (kind === undefined) throw new UnknownEntryKind(entry.index, typeof type === 'string' ? type : JSON.stringify(type ?? null));
  try {
    const { write, ledger } = await kind.admit(entry.record);
    return { index: entry.index, acceptedAt: entry.acceptedAt, acceptedAtMs: entry.acceptedAtMs, write, ledger };
  } catch (error) {
    if (error instanceof ProtocolError) throw new InvalidEntry(entry.index, `${error.code}: ${error.message}`);
    throw error;
  }
}
