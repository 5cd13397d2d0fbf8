/**
 * Identity chains as a ledger of the log: decides each write of a batch against the live chains
 * read under the log lock, in arrival order, so two writes in one batch see each other.
 */
import type { DbClient } from '../../db/client.js';
import {
  persistIdentityChanges,
  readLiveChains,
  type IdentityHead,
  type NewIdentityRecord,
  type StoredIdentityEntry,
} from '../../db/identity-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import type { IdentityRecord } from '../../protocol/identity.js';
import { checkGenesis, checkSuccessor } from '../../protocol/identity-rules.js';
import type { Ledger, LedgerBatch, LogWrite } from '../log/log-writer.js';

export interface IdentityWrite extends LogWrite {
  kind: 'identity';
  record: IdentityRecord;
  /** Which endpoint it came through: a genesis, or a record for an existing chain. */
  mode: 'genesis' | 'successor';
  /**
   * Set by the ledger when it accepts the write: whether it was a recovery (it nullified records).
   * Recoveries never count against the per-userId write budget (identity-service.ts).
   */
  acceptedAs?: 'genesis' | 'update' | 'recovery';
}

function headOf(entry: StoredIdentityEntry): IdentityHead {
  const { record } = entry;
  return { userId: record.userId, index: entry.index, hash: entry.hash, status: record.status, publicKey: record.publicKey };
}

export class IdentityBatch implements LedgerBatch<IdentityWrite> {
  private readonly created = new Map<string, IdentityHead>();
  private readonly moved = new Map<string, IdentityHead>();
  private readonly records: NewIdentityRecord[] = [];
  private readonly nullified: Array<{ index: number; by: number }> = [];

  constructor(
    private readonly tx: DbClient,
    private readonly chains: Map<string, StoredIdentityEntry[]>,
  ) {}

  decide(write: IdentityWrite, index: number, acceptedAt: number): void {
    const { record } = write;
    const entry: StoredIdentityEntry = { record, hash: write.hash, acceptedAt, index };
    const chain = this.chains.get(record.userId);
    if (write.mode === 'genesis') {
      if (chain !== undefined) throw new ProtocolError('ALREADY_EXISTS', 'this userId already has an identity');
      checkGenesis(record);
      this.chains.set(record.userId, [entry]);
      this.created.set(record.userId, headOf(entry));
      write.acceptedAs = 'genesis';
    } else {
      if (chain === undefined) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
      const outcome = checkSuccessor(chain, record, acceptedAt);
      for (const gone of outcome.nullifies) {
        const sameBatch = this.records.find((r) => r.index === gone.index);
        if (sameBatch !== undefined) sameBatch.nullifiedBy = index;
        else this.nullified.push({ index: gone.index, by: index });
      }
      this.chains.set(record.userId, [...chain.slice(0, chain.length - outcome.nullifies.length), entry]);
      (this.created.has(record.userId) ? this.created : this.moved).set(record.userId, headOf(entry));
      write.acceptedAs = outcome.kind;
    }
    this.records.push({ index, record, hash: write.hash, nullifiedBy: null });
  }

  /**
   * The head of `userId`'s live chain as this batch has decided it so far, or undefined when the
   * batch read no chain of that user (it has no write for an existing identity): then the stored
   * head is still current. For other ledgers' rules (BatchLedgers).
   */
  liveHead(userId: string): IdentityRecord | undefined {
    const chain = this.chains.get(userId);
    return chain?.[chain.length - 1]?.record;
  }

  persist(): Promise<void> {
    return persistIdentityChanges(this.tx, {
      created: [...this.created.values()],
      moved: [...this.moved.values()],
      records: this.records,
      nullified: this.nullified,
    });
  }
}

export const identityLedger: Ledger<IdentityWrite, IdentityBatch> = {
  async open(tx, writes) {
    const chains = await readLiveChains(tx, [...new Set(writes.map((w) => w.record.userId))]);
    return new IdentityBatch(tx, chains);
  },
};
