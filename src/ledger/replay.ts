/**
 * One replay of the log, over any storage behind one interface (in the spirit of tessera's fsck):
 * the registry's own database (src/db/database-log-source.ts: verify-log) or a registry's public
 * API (src/mirror/registry-feed.ts: the mirror and `peerkeys log verify`). For every entry, in
 * order: the record is canonical JSON where the source keeps its text, parses by its kind's strict
 * schema, its signatures verify, its chain's rules accept it against the state just before it
 * (LedgerState), and its leaf extends the tree. Callers compare the tree with the checkpoints they
 * hold (each has its own evidence to keep) and the folded state with whatever they store.
 *
 * A problem is an UnknownEntryKind, an InvalidEntry or MISSING_ENTRIES; by default the replay stops
 * at the first (the mirror copies nothing unverified), or it reports each and goes on (an audit
 * wants every finding). A bad record still takes its place in the tree, so later roots stay
 * comparable.
 */
import { ProtocolError } from '../protocol/errors.js';
import { canonicalJson } from '../protocol/json.js';
import { logLeafHash } from '../protocol/log-entry.js';
import { appendToFrontier, type StoredSubtree } from '../protocol/merkle.js';
import type { VerifySignature } from '../protocol/signing.js';
import { admitRecord } from './admit.js';
import type { Decision, LogWrite } from './entry-kind.js';
import { InvalidEntry, LedgerError } from './errors.js';
import type { LedgerState } from './ledger-state.js';

/** One log entry as a source holds it. */
export interface SourceEntry {
  index: number;
  /** As it stands in the leaf (DESIGN.md §5). */
  acceptedAt: string;
  /** The same time in ms since the epoch: what recovery windows use. */
  acceptedAtMs: number;
  /** The record's JSON value; undefined when the stored text is not JSON at all. */
  record: unknown;
  /** The record's text as stored, for sources that keep it: it must be the canonical form. */
  text?: string;
}

/** Where the log is read from. */
export interface LogSource {
  /**
   * Entries `start` to `end - 1` in order, a page at a time. A source may end early (a database
   * that lost entries: MISSING_ENTRIES); one that cannot serve what it promised throws.
   */
  pages(start: number, end: number): AsyncIterable<SourceEntry[]>;
}

/** The tree over the first `size` entries: its right edge is all that extends it and gives its root. */
export interface TreeEdge {
  size: number;
  frontier: StoredSubtree[];
}

/** One entry after replay: its write when the record was admitted, its decision when accepted. */
export interface ReplayedEntry {
  entry: SourceEntry;
  write: LogWrite | null;
  decision: Decision | null;
  leaf: Uint8Array;
}

export interface ReplayOptions {
  /** Folded into, in log order. */
  ledger: LedgerState;
  verify: VerifySignature;
  /** The tree so far; replay starts at its size (default: the empty tree). */
  from?: TreeEdge;
  /** Replay up to (not including) this index. */
  to: number;
  /** Each problem, to go on after it; without it the replay throws the first. */
  onProblem?: (problem: LedgerError) => void;
  /** After each entry, with the tree it extended. */
  onEntry?: (replayed: ReplayedEntry, tree: TreeEdge) => void;
  /** After each page, with the perfect subtrees its leaves completed. */
  onPage?: (page: ReplayedEntry[], completed: StoredSubtree[], tree: TreeEdge) => void | Promise<void>;
}

/** Replays the entries from `options.from` to `options.to`; returns the tree it reached. */
export async function replayLog(source: LogSource, options: ReplayOptions): Promise<TreeEdge> {
  const { ledger } = options;
  const tree: TreeEdge = { size: options.from?.size ?? 0, frontier: options.from?.frontier ?? [] };
  const problem = (error: LedgerError) => {
    if (options.onProblem === undefined) throw error;
    options.onProblem(error);
  };

  for await (const page of source.pages(tree.size, options.to)) {
    // Checked by itself first (what a page's state must be loaded for); reported in log order below.
    const admitted: Array<{ write: LogWrite | null; problems: LedgerError[] }> = [];
    for (const entry of page) admitted.push(await admit(entry, options.verify));
    await ledger.prepare(admitted.flatMap((a) => (a.write === null ? [] : [a.write])));
    const replayed: ReplayedEntry[] = [];
    const completed: StoredSubtree[] = [];
    for (const [i, entry] of page.entries()) {
      if (entry.index !== tree.size) {
        problem(new LedgerError('MISSING_ENTRIES', tree.size, `entries ${tree.size}–${entry.index - 1} are missing`));
        await options.onPage?.(replayed, completed, tree);
        return tree;
      }
      const { write, problems } = admitted[i]!;
      problems.forEach(problem);
      let decision: Decision | null = null;
      if (write !== null) {
        try {
          decision = ledger.decide(write, { index: entry.index, acceptedAt: entry.acceptedAtMs });
        } catch (error) {
          if (!(error instanceof ProtocolError)) throw error;
          problem(new InvalidEntry(entry.index, 'chain', error.code, `the chain rules refuse it (${error.code}: ${error.message})`));
        }
      }
      // A record that is not JSON still takes its place in the tree, so later indexes stay aligned.
      const leaf = logLeafHash(entry.acceptedAt, entry.record === undefined ? { unreadable: entry.text ?? '' } : (entry.record as object));
      const step = appendToFrontier(tree.frontier, [leaf]);
      tree.frontier = step.frontier;
      tree.size++;
      completed.push(...step.completed);
      const done: ReplayedEntry = { entry, write, decision, leaf };
      replayed.push(done);
      options.onEntry?.(done, tree);
    }
    await options.onPage?.(replayed, completed, tree);
  }
  return tree;
}

/** The entry's record checked by itself: its write, null when it is not admitted, and what is wrong. */
async function admit(entry: SourceEntry, verify: VerifySignature): Promise<{ write: LogWrite | null; problems: LedgerError[] }> {
  const problems: LedgerError[] = [];
  try {
    if (entry.record === undefined) throw new InvalidEntry(entry.index, 'record', 'NOT_JSON', 'the stored record is not JSON');
    if (entry.text !== undefined && canonicalJson(entry.record) !== entry.text) {
      problems.push(new InvalidEntry(entry.index, 'record', 'NOT_CANONICAL', 'the stored record is not in canonical form'));
    }
    return { write: await admitRecord(entry.index, entry.record, verify), problems };
  } catch (error) {
    if (!(error instanceof LedgerError)) throw error;
    problems.push(error);
    return { write: null, problems };
  }
}
