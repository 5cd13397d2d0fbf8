/**
 * The mirror's follow loop: keeps a verified copy of a registry's log in the mirror's own
 * database, trusting nothing the registry says that it did not check. One round:
 *
 *   1. fetch the registry's latest checkpoint and verify its signature with the pinned vkey;
 *   2. check it against the checkpoint the mirror holds: the same root at the same size (and the
 *      same map root; a note signed later, as the registry signs one while it has no writes,
 *      replaces the one held), the mirror's own root at a smaller size (an older view, e.g. a
 *      lagging replica), or a consistency proof to a larger one;
 *   3. replay /v1/log/entries from the mirror's size (its log_state.size is its cursor) to the
 *      checkpoint's (src/ledger/replay.ts): each record checked by itself, the chain rules applied
 *      in log order against the chains the mirror holds, and the tree recomputed;
 *   4. require the recomputed root to be the checkpoint's root, and its key map root (when it has
 *      one: registries from before the key map sign none) to be the root of the map folded from
 *      the entries (protocol/key-map-follow.ts), then commit the range in one transaction
 *      (mirror-log.ts).
 *
 * A checkpoint inconsistent with the one the mirror holds, or entries that are all valid records
 * but do not produce the checkpoint's root, is a FORK: the registry has shown two histories. A
 * record that breaks its schema, signatures or chain rules is an invalid log; a kind of record
 * this code does not know stops it too. So does a checkpoint whose map root is not the fold of its
 * entries (MAP_ROOT_MISMATCH), kept as evidence. Each stops the follower for good (until an operator
 * looks): it keeps serving what it verified, and /readyz says why it is not ready. Network
 * failures and a registry that has not caught up with its own checkpoint are retried next round.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Logger } from 'pino';
import { readLogStateSize } from '../db/audit-repository.js';
import type { Database } from '../db/database.js';
import { latestCheckpoint, putCheckpoint, type StoredCheckpoint } from '../db/log-repository.js';
import { bytesEqual } from '../protocol/encoding.js';
import { rootFromFrontier, verifyConsistency, type StoredSubtree } from '../protocol/merkle.js';
import { RegistryError, VerificationError, type VerificationCode } from '../sdk/errors.js';
import { SubtreeStore } from '../db/subtree-store.js';
import { databaseStateStore } from '../db/ledger-store.js';
import { readMapHeads } from '../db/key-map-repository.js';
import { ForkDetected, identityKind, InvalidEntry, LedgerState, MapRootMismatchDetected, replayLog, UnknownEntryKind, type LedgerErrorCode, type SourceEntry } from '../ledger/index.js';
import { parseCheckpointNote, verifyCheckpointNote, type Checkpoint } from '../protocol/checkpoint.js';
import { FoldedKeyMap, mapRootMismatch } from '../protocol/key-map-follow.js';
import { KeyMap } from '../protocol/key-map-tree.js';
import { nodeVerify } from '../node/node-ed25519.js';
import { DeviceCopier } from './device-copy.js';
import { appendVerifiedRange, type VerifiedRange } from './mirror-log.js';
import { EntriesBehind, type RegistryFeed } from './registry-feed.js';

/**
 * Why a follower stopped: `fork` or `map` (a false key map root: MAP_ROOT_MISMATCH), each exit 3
 * for `peerkeys mirror --once`; `invalid` or `unsupported`.
 */
export type StopReason = 'fork' | 'map' | 'invalid' | 'unsupported';

/**
 * Whether the registry's checkpoint of the round had its key map root checked: `verified`; `absent`
 * (it has none: a registry from before the key map); `unchecked` (an older view than the mirror's,
 * whose map the mirror no longer has).
 */
export type MapRootStatus = 'verified' | 'absent' | 'unchecked';

export type RoundResult =
  /** Entries from..size-1 were verified and copied. */
  | { status: 'advanced'; from: number; size: number; mapRoot: MapRootStatus }
  /** The registry has nothing new (or showed an older, consistent view). */
  | { status: 'current'; size: number; mapRoot: MapRootStatus }
  /** The registry could not be read; the next round tries again. */
  | { status: 'retry'; size: number; error: string }
  /**
   * Following stopped for good; `code` says why (FORK_DETECTED, MAP_ROOT_MISMATCH,
   * UNKNOWN_ENTRY_KIND, INVALID_ENTRY, or the SDK's verification code for an answer that does not
   * verify). For a fork, both checkpoints: the evidence; for a false map, the checkpoint served,
   * the map root it signs and the one its entries give.
   */
  | {
      status: 'stopped';
      reason: StopReason;
      code: LedgerErrorCode | VerificationCode;
      size: number;
      message: string;
      held?: string;
      served?: string;
      mapRoot?: string;
      recomputed?: string;
    };

export type StoppedResult = Extract<RoundResult, { status: 'stopped' }>;

export interface FollowerOptions {
  db: Database;
  feed: RegistryFeed;
  logger?: Logger;
  /** Users whose device records are refreshed each round (the rolling sweep); default 100. */
  devicesPerRound?: number;
  /** Progress through the entries of a round: checked so far, and how many the round copies. */
  onProgress?: (done: number, total: number) => void;
}

const NO_CHECKPOINT = '(none: this mirror held no checkpoint yet)\n';

export class MirrorFollower {
  private stop: StoppedResult | null = null;
  private synced = false;
  private readonly subtrees: SubtreeStore;
  private readonly devices: DeviceCopier;
  /** The key map of the log the mirror holds; null until a round needs it (and after a round that failed midway). */
  private map: FoldedKeyMap | null = null;

  constructor(private readonly options: FollowerOptions) {
    this.subtrees = new SubtreeStore(options.db);
    this.devices = new DeviceCopier(options.db, options.feed.client, options.logger);
  }

  get registryUrl(): string {
    return this.options.feed.url;
  }

  /** The result that stopped the follower, or null while it follows. */
  get stopped(): StoppedResult | null {
    return this.stop;
  }

  /** Why the mirror should not get traffic (for /readyz), or null when it serves a verified copy. */
  readonly notReady = (): string | null => {
    if (this.stop !== null) return `this mirror stopped following ${this.registryUrl}: ${this.stop.message}. It still serves the log it verified, up to ${this.stop.size} entries.`;
    if (!this.synced) return `this mirror has not yet copied the log of ${this.registryUrl}`;
    return null;
  };

  /**
   * Refuses a database that is not this mirror's: one whose log size and checkpoints disagree, or
   * whose checkpoints another key signed (another registry's mirror).
   */
  async checkDatabase(): Promise<void> {
    const held = await latestCheckpoint(this.options.db);
    const size = await readLogStateSize(this.options.db.prisma);
    if (size !== (held?.size ?? 0)) {
      throw new Error(`this database's log has ${size} entries and a latest checkpoint of size ${held?.size ?? 'none'}: it is not a mirror's database; give the mirror a database of its own`);
    }
    if (held !== null && (await verifyCheckpointNote(held.note, this.options.feed.key, nodeVerify)) === null) {
      throw new Error(`this database holds a log not signed by ${this.options.feed.key.name}'s key: it mirrors another registry; give this mirror a database of its own`);
    }
    this.synced = held !== null;
  }

  /** One round of following; never throws for anything the registry does. */
  async round(): Promise<RoundResult> {
    if (this.stop !== null) return this.stop;
    const held = await latestCheckpoint(this.options.db);
    const size = held?.size ?? 0;
    try {
      const { result, touched } = await this.follow(held);
      await this.copyDevices(touched);
      return result;
    } catch (error) {
      return this.outcome(error, size);
    }
  }

  /** Rounds every `intervalMs` until stopped (returns that result) or `signal` aborts (the last result). */
  async run(options: { intervalMs: number; signal?: AbortSignal; onRound?: (result: RoundResult) => void }): Promise<RoundResult> {
    for (;;) {
      const result = await this.round();
      options.onRound?.(result);
      if (result.status === 'stopped' || options.signal?.aborted === true) return result;
      try {
        await sleep(options.intervalMs, undefined, options.signal !== undefined ? { signal: options.signal } : {});
      } catch {
        return result; // aborted while waiting
      }
    }
  }

  /** One round's work; `touched`: the users whose chains it changed, whose devices are copied first. */
  private async follow(held: StoredCheckpoint | null): Promise<{ result: RoundResult; touched: string[] }> {
    const { feed, db } = this.options;
    const served = await feed.checkpoint();
    const size = held?.size ?? 0;

    if (held !== null && served.size <= size) {
      // An equal or older view: it must be what the mirror itself has at that size.
      const root = served.size === size ? held.root : rootFromFrontier(await this.subtrees.frontier(served.size, db));
      if (!bytesEqual(root, served.root)) {
        throw new ForkDetected(`the registry's checkpoint of size ${served.size} has a different root from the log this mirror verified`, held.note, served.note);
      }
      // Two checkpoints of one size have one map root; an older view's would need the map at its size.
      const mapRoot = served.size === size ? this.checkMap(await this.keyMap(size), served) : 'unchecked';
      // The registry signs a fresh note of its size while it has no writes (DESIGN.md §5): the
      // mirror serves the newest, or clients would find its answers stale (STALE_CHECKPOINT).
      if (served.size === size && served.time !== undefined && served.time > (signedTime(held.note) ?? -1)) {
        await putCheckpoint(db, { size, root: held.root, note: served.note });
      }
      this.synced = true;
      return { result: { status: 'current', size, mapRoot }, touched: [] };
    }
    if (held !== null && size > 0) {
      const proof = await feed.consistencyProof(size, served.size);
      if (!verifyConsistency(size, served.size, proof, held.root, served.root)) {
        throw new ForkDetected(`the registry's checkpoint of size ${served.size} is not consistent with the checkpoint of size ${size} this mirror holds`, held.note, served.note);
      }
    }

    const ledger = new LedgerState(databaseStateStore(db));
    const entries: VerifiedRange['entries'] = [];
    const read: SourceEntry[] = [];
    const completed: StoredSubtree[] = [];
    // A record wrong by itself stops the round at once; one the chain rules refuse is reported after
    // the root check, so that records which each verify but are not the signed log are a fork.
    let refused: InvalidEntry | null = null;
    const tree = await replayLog(feed, {
      ledger,
      verify: nodeVerify,
      from: { size, frontier: await this.subtrees.frontier(size, db) },
      to: served.size,
      onProblem: (problem) => {
        if (!(problem instanceof InvalidEntry && problem.stage === 'chain')) throw problem;
        refused ??= problem;
      },
      onPage: (page, done) => {
        for (const { entry, write, decision } of page) {
          read.push(entry);
          if (write !== null && decision !== null) entries.push({ write, index: entry.index, acceptedAtMs: entry.acceptedAtMs });
        }
        completed.push(...done);
        this.options.onProgress?.(entries.length, served.size - size);
      },
    });
    if (!bytesEqual(rootFromFrontier(tree.frontier), served.root)) {
      // Each record verified by itself, yet they are not the log the registry signed.
      throw new ForkDetected(`the entries the registry serves do not produce the root of its checkpoint of size ${served.size}`, held?.note ?? NO_CHECKPOINT, served.note);
    }
    if (refused !== null) throw refused;
    const map = await this.keyMap(size);
    this.map = null; // until the range is committed, the map stands for no size the mirror holds
    for (const entry of read) map.fold(entry);
    const mapRoot = this.checkMap(map, served);
    await appendVerifiedRange(db, { from: size, ledger, entries, completed, checkpoint: { size: served.size, root: served.root, note: served.note } });
    this.map = map;
    this.subtrees.remember(completed);
    this.synced = true;
    const touched = new Set(entries.filter((e) => e.write.type === identityKind.type).map((e) => e.write.decision!.head.id));
    return { result: { status: 'advanced', from: size, size: served.size, mapRoot }, touched: [...touched] };
  }

  /**
   * The key map of the first `size` entries the mirror holds: the one kept from the last round, or
   * (once a process, or after a round that failed midway) the heads of the chains' tables, which
   * appendVerifiedRange commits with the entries: over a log the mirror verified, each key's head
   * is the last record logged for it, its value in the fold (db/key-map-repository.ts).
   */
  private async keyMap(size: number): Promise<FoldedKeyMap> {
    if (this.map?.size === size) return this.map;
    const stored = await readMapHeads(this.options.db);
    if (stored.size !== size) throw new Error(`this mirror's log has ${stored.size} entries where its checkpoint has ${size}: is another process writing to this database?`);
    const map = new KeyMap();
    map.apply(stored.heads);
    this.map = new FoldedKeyMap(map, size);
    return this.map;
  }

  /** Compares the served checkpoint's map root with `map`, folded to its size; throws MAP_ROOT_MISMATCH. */
  private checkMap(map: FoldedKeyMap, served: Checkpoint & { note: string }): MapRootStatus {
    const check = map.check(served);
    if (check.status === 'no-map-root') return 'absent';
    if (check.status === 'match') return 'verified';
    if (check.status === 'not-folded') throw new Error(`the key map could not be folded at entry ${check.index}: ${check.message}`);
    const evidence = mapRootMismatch(check, served.size, served.note);
    throw new MapRootMismatchDetected(evidence.message, evidence.note, evidence.mapRoot, evidence.recomputed);
  }

  private async copyDevices(touched: string[]): Promise<void> {
    try {
      await this.devices.copy(touched);
      await this.devices.sweep(this.options.devicesPerRound ?? 100);
    } catch (error) {
      this.options.logger?.warn({ err: error }, 'copying device records failed; the next round tries again');
    }
  }

  private outcome(error: unknown, size: number): RoundResult {
    const stopped = (reason: StopReason, code: StoppedResult['code'], message: string, evidence: Pick<StoppedResult, 'held' | 'served' | 'mapRoot' | 'recomputed'> = {}): StoppedResult => {
      this.stop = { status: 'stopped', reason, code, size, message, ...evidence };
      this.options.logger?.error({ reason, code, size, registry: this.registryUrl, ...evidence }, `mirror stopped following: ${message}`);
      return this.stop;
    };
    if (error instanceof ForkDetected) {
      return stopped('fork', error.code, `FORK: ${error.message}`, { held: error.held, served: error.served });
    }
    if (error instanceof MapRootMismatchDetected) {
      return stopped('map', error.code, `MAP_ROOT_MISMATCH: ${error.message}`, { served: error.note, mapRoot: error.mapRoot, recomputed: error.recomputed });
    }
    if (error instanceof UnknownEntryKind) return stopped('unsupported', error.code, error.message);
    if (error instanceof InvalidEntry) return stopped('invalid', error.code, `the registry's log holds an invalid record: ${error.message}`);
    if (error instanceof VerificationError) return stopped('invalid', error.code, `the registry's answer does not verify (${error.code}): ${error.message}`);
    if (error instanceof RegistryError || error instanceof EntriesBehind) return { status: 'retry', size, error: error.message };
    // Not the registry's doing (this mirror's database, say): logged, and tried again next round.
    this.options.logger?.error({ err: error }, 'mirror round failed');
    return { status: 'retry', size, error: `unexpected error: ${(error as Error).message}` };
  }
}

/** The time a stored checkpoint note states, or null for one without map and time lines. */
function signedTime(note: string): number | null {
  return parseCheckpointNote(note)?.time ?? null;
}

/** The checkpoint that signs a false key map, for people: what to print. */
export function describeMapMismatch(result: StoppedResult, registryUrl: string): string {
  return [
    `!!! MAP_ROOT_MISMATCH: the registry at ${registryUrl} signed a key map root that is not the map of its log. !!!`,
    result.message,
    `It signs ${result.mapRoot ?? '?'}; the entries it serves give ${result.recomputed ?? '?'}.`,
    '',
    'The checkpoint the registry serves:',
    result.served ?? '(none)',
    `This mirror stopped following at ${result.size} entries and keeps serving the log it verified;`,
    '/readyz answers 503. Keep the checkpoint: it is signed by the registry, and with its log it proves the false map.',
  ].join('\n');
}

/** The two checkpoints of a fork, for people: what to print. */
export function describeFork(result: StoppedResult, registryUrl: string): string {
  return [
    `!!! FORK: the registry at ${registryUrl} has shown two histories of its log. !!!`,
    result.message,
    '',
    'The checkpoint this mirror holds:',
    result.held ?? '(none)',
    'The checkpoint the registry serves now:',
    result.served ?? '(none)',
    `This mirror stopped following at ${result.size} entries and keeps serving the log it verified;`,
    '/readyz answers 503. Keep both checkpoints: each is signed by the registry, and together they prove the fork.',
  ].join('\n');
}
