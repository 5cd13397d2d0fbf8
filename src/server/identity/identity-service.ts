/** Submitting identity records and answering lookups (DESIGN.md §2, §6). */
import type { Database } from '../../db/database.js';
import { identityKind, Write } from '../../ledger/index.js';
import { readHead, readHistoryPage } from '../../db/identity-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import { parseAndEncodeIdentityRecord, verifyEncodedIdentitySignatures, type IdentityRecord } from '../../protocol/identity.js';
import type { EncodedRecord } from '../../protocol/records.js';
import { checkGenesis } from '../../protocol/identity-rules.js';
import { formatTimestamp } from '../../protocol/time.js';
import type { Clock } from '../clock.js';
import type { WriteCounter } from '../http/write-budgets.js';
import { admitUserId, assertPathId, assertPeersId, checkClockSkew, isForkAttempt, type IdPolicy } from '../admission-policy.js';
import type { AppendResult, LogWriter } from '../log/log-writer.js';
import { ChainBundles, type CommittedRecord, type LookupAnswer, type ReadBounds } from '../log/chain-bundles.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import { nodeVerifyOnPool } from '../../node/node-ed25519.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type PageBounds } from '../pages.js';

export class IdentityService {
  private readonly bundles: ChainBundles<IdentityRecord>;
  private readonly bounds: PageBounds;

  constructor(
    private readonly db: Database,
    private readonly writer: LogWriter,
    subtrees: SubtreeStore,
    private readonly clock: Clock,
    /** The per-userId write budget, told of each committed write that is not a recovery. */
    private readonly budget: WriteCounter,
    /** Which new userIds this registry admits (config USER_IDS). */
    private readonly idPolicy: IdPolicy,
    reads: ReadBounds,
  ) {
    this.bounds = { maxItems: MAX_PAGE_ITEMS, maxBytes: reads.pageBytes };
    this.bundles = new ChainBundles(
      subtrees,
      {
        table: 'identities',
        what: 'identity',
        // The head's keys, for convenience (DESIGN.md §6); clients verify them against the chain.
        summary: (userId, head) => ({ userId, status: head.status, publicKey: head.publicKey, publicBoxKey: head.publicBoxKey, rotationKeys: head.rotationKeys }),
      },
      reads,
    );
  }

  /** POST /v1/users: a genesis record. */
  async register(body: unknown): Promise<AppendResult> {
    const parsed = await this.admit(body);
    checkGenesis(parsed.record);
    // Admission policy, after the protocol's own genesis rules and before anything that reads the
    // registry's state: a squatter learns nothing about whether the id is taken.
    admitUserId(this.idPolicy, parsed.record);
    return this.append(parsed, 'genesis');
  }

  /** POST /v1/users/{userId}: an update, revocation or recovery. */
  async submit(userId: string, body: unknown): Promise<AppendResult> {
    assertPeersId(userId, 'userId');
    const parsed = await this.admit(body);
    assertPathId(parsed.record.userId, userId, 'userId');
    if (parsed.record.seq === 0) throw new ProtocolError('SEQ_MISMATCH', 'a genesis record goes to POST /v1/users');
    return this.append(parsed, 'successor');
  }

  /** The checks that need no state, done before a write waits for the log lock; the record with its canonical JSON. */
  private async admit(body: unknown): Promise<EncodedRecord<IdentityRecord>> {
    const parsed = parseAndEncodeIdentityRecord(body);
    checkClockSkew(parsed.record.createdAt, this.clock.now());
    // Off the event loop: the signatures are a write's largest piece of CPU after the key checks.
    await verifyEncodedIdentitySignatures(parsed, nodeVerifyOnPool);
    return parsed;
  }

  /**
   * Appends the record and, once its transaction has committed, counts it against the user's
   * write budget — here, in the write's own path, so a refused write is never counted whatever
   * happens to its connection. A recovery is never counted (DESIGN.md §6, "Rate limits").
   */
  private async append(parsed: EncodedRecord<IdentityRecord>, mode: 'genesis' | 'successor'): Promise<AppendResult> {
    const write = new Write(identityKind, parsed, mode);
    const result = await this.writer.append(write);
    if (write.decision?.change !== 'recovery') await this.budget.committed(parsed.record.userId);
    return result;
  }

  /**
   * GET /v1/users/{userId}/log: every accepted record, nullified ones included and marked, in log
   * order from log index `start` — one page of them, as JSON bytes (DESIGN.md §6, "Pages").
   */
  async historyJson(userId: string, start = 0): Promise<Buffer> {
    assertPeersId(userId, 'userId');
    const rows = await readHistoryPage(this.db, userId, start, this.bounds);
    // Only an empty page asks whether the user exists: past the end of a history is an empty page.
    if (rows.length === 0 && (await readHead(this.db.prisma, userId)) === null) throw new ProtocolError('NOT_FOUND', 'no identity with this userId');
    const page = cutPage(
      rows,
      (e) => (e.record === null ? null : [`{"index":${e.index},"acceptedAt":"${formatTimestamp(e.acceptedAt!)}","record":`, e.record, `,"nullified":${e.nullified!}}`]),
      (e) => e.index,
      this.bounds,
    );
    return jsonBuffer([`{"userId":"${userId}",`, ...pageMembers('entries', page), '}']);
  }

  /** Whether a write to POST /v1/users/{userId} is a fork attempt (admission-policy.ts). */
  isForkAttempt(userId: string, body: unknown): Promise<boolean> {
    return isForkAttempt(this.db.prisma, userId, body);
  }

  /** Fills the lookup cache with the first pages of the identities' chains, as far as it has room (chain-bundles.ts); how many. */
  preloadLookups(): Promise<number> {
    return this.bundles.preload(this.db);
  }

  /** Takes the first pages of the identities' chains a committed batch wrote into the lookup cache (only writer: chain-bundles.ts, handOver). */
  handOverLookups(sizeBefore: number, records: readonly CommittedRecord[]): void {
    this.bundles.handOver(sizeBefore, records);
  }

  /** GET /v1/users/{userId}: the live chain from seq `start` (a page of it) with the head's inclusion proof and a checkpoint, as JSON bytes with their ETag. */
  lookupJson(userId: string, start = 0): Promise<LookupAnswer> {
    assertPeersId(userId, 'userId');
    return this.bundles.bundleJson(userId, start);
  }
}
