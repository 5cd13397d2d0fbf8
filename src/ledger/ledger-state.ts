/**
 * The ledger's state: each entry kind's state, folded in log order. One class serves every user of
 * the rules:
 * - a replay of the whole log (verify-log, `peerkeys log verify`) starts empty and holds everything;
 * - the log writer and the mirror hold only the chains a batch touches, loaded from the database by
 *   a StateStore before the batch is decided (`prepare`), so a write costs no extra round trip.
 *
 * Entries are decided one at a time in log order, so while the entry at index i is decided every
 * kind's state is exactly the state just before i — what a verifier replaying the log sees. That is
 * how a group record is checked against its admin's identity at that point of the log, written once
 * (ledger/kinds/identity.ts, `identityAt`).
 */
import type { ChainRef, Decision, EntryKind, KindRecord, LedgerView, LogPosition, LogWrite } from './entry-kind.js';

/** Loads stored chains into a ledger state (src/db/ledger-store.ts for the registry's database). */
export interface StateStore {
  /** Puts the stored state of `refs` into `ledger`; chains not stored stay absent. */
  load(ledger: LedgerState, refs: readonly ChainRef[]): Promise<void>;
}

const refKey = (ref: ChainRef) => `${ref.kind}\u0000${ref.id}`;

export class LedgerState implements LedgerView {
  /** Each kind's state, by the kind's type: only ever kind.newState() of a kind of that type. */
  private readonly states = new Map<string, unknown>();
  /** Chains already in memory (loaded, or found absent), never loaded again: memory is newer. */
  private readonly known = new Set<string>();

  /** `store`: where chains not in memory are read from; none for a replay from the first entry. */
  constructor(private readonly store?: StateStore) {}

  of<S>(kind: EntryKind<KindRecord, S>): S {
    if (!this.states.has(kind.type)) this.states.set(kind.type, kind.newState());
    // Set just above or earlier from newState() of a kind of the same type: the same S.
    return this.states.get(kind.type) as S;
  }

  /** Loads, from the store, the chains `writes` read that are not in memory yet. */
  async prepare(writes: readonly LogWrite[]): Promise<void> {
    if (this.store === undefined) return;
    const wanted = new Map<string, ChainRef>();
    for (const ref of writes.flatMap((w) => w.reads)) {
      const key = refKey(ref);
      if (!this.known.has(key)) wanted.set(key, ref);
    }
    if (wanted.size === 0) return;
    for (const key of wanted.keys()) this.known.add(key);
    await this.store.load(this, [...wanted.values()]);
  }

  /** Decides `write` at `at` and folds it in, or throws its kind's ProtocolError (state unchanged). */
  decide(write: LogWrite, at: LogPosition): Decision {
    const decision = write.decide(this, at);
    this.known.add(refKey(decision.head));
    return decision;
  }
}
