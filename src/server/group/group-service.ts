/** Submitting group records and answering group lookups (DESIGN.md §4, §6). */
import type { Database } from '../../db/database.js';
import { groupKind, Write } from '../../ledger/index.js';
import { readGroupsOfPage } from '../../db/group-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import { parseAndEncodeGroupRecord, verifyGroupSignature, type GroupRecord } from '../../protocol/group.js';
import type { EncodedRecord } from '../../protocol/records.js';
import type { Clock } from '../clock.js';
import { admitGroupId, assertPathId, assertPeersId, checkClockSkew, type IdPolicy } from '../admission-policy.js';
import type { WriteCounter } from '../http/write-budgets.js';
import type { AppendResult, LogWriter } from '../log/log-writer.js';
import { ChainBundles, type CommittedRecord, type LookupAnswer, type ReadBounds } from '../log/chain-bundles.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import { nodeVerifyOnPool } from '../../node/node-ed25519.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type PageBounds } from '../pages.js';

export class GroupService {
  private readonly bundles: ChainBundles<GroupRecord>;
  private readonly bounds: PageBounds;

  constructor(
    private readonly db: Database,
    private readonly writer: LogWriter,
    subtrees: SubtreeStore,
    private readonly clock: Clock,
    /** The per-groupId write budget, told of each committed write. */
    private readonly budget: WriteCounter,
    /** Which new groupIds this registry admits (config GROUP_IDS). */
    private readonly idPolicy: IdPolicy,
    reads: ReadBounds,
  ) {
    this.bounds = { maxItems: MAX_PAGE_ITEMS, maxBytes: reads.pageBytes };
    this.bundles = new ChainBundles(subtrees, { table: 'groups', what: 'group', summary: (groupId, head) => ({ groupId, name: head.name, members: head.members }) }, reads);
  }

  /** POST /v1/groups: a genesis record. */
  async register(body: unknown): Promise<AppendResult> {
    const parsed = await this.admit(body);
    const { record } = parsed;
    if (record.seq !== 0) throw new ProtocolError('SEQ_MISMATCH', 'the record is not a genesis; updates go to POST /v1/groups/{groupId}');
    // Admission policy, before anything that reads the registry's state (the group rules read the
    // admin's identity under the log lock): a squatter learns nothing about whether the id is taken.
    admitGroupId(this.idPolicy, record);
    return this.append(parsed, 'genesis');
  }

  /** POST /v1/groups/{groupId}: an update. */
  async submit(groupId: string, body: unknown): Promise<AppendResult> {
    assertPeersId(groupId, 'groupId');
    const parsed = await this.admit(body);
    assertPathId(parsed.record.groupId, groupId, 'groupId');
    if (parsed.record.seq === 0) throw new ProtocolError('SEQ_MISMATCH', 'a genesis record goes to POST /v1/groups');
    return this.append(parsed, 'successor');
  }

  /** The checks that need no state, done before a write waits for the log lock; the record with its canonical JSON. */
  private async admit(body: unknown): Promise<EncodedRecord<GroupRecord>> {
    const parsed = parseAndEncodeGroupRecord(body);
    checkClockSkew(parsed.record.createdAt, this.clock.now());
    await verifyGroupSignature(parsed.record, nodeVerifyOnPool); // off the event loop, as identity writes
    return parsed;
  }

  /** Appends the record and, once its transaction has committed, counts it against the group's write budget. */
  private async append(parsed: EncodedRecord<GroupRecord>, mode: 'genesis' | 'successor'): Promise<AppendResult> {
    const result = await this.writer.append(new Write(groupKind, parsed, mode));
    await this.budget.committed(parsed.record.groupId);
    return result;
  }

  /** Fills the lookup cache with the first pages of the groups' chains, as far as it has room (chain-bundles.ts); how many. */
  preloadLookups(): Promise<number> {
    return this.bundles.preload(this.db);
  }

  /** Takes the first pages of the groups' chains a committed batch wrote into the lookup cache (only writer: chain-bundles.ts, handOver). */
  handOverLookups(sizeBefore: number, records: readonly CommittedRecord[]): void {
    this.bundles.handOver(sizeBefore, records);
  }

  /** GET /v1/groups/{groupId}: the chain from seq `start` (a page of it) with the head's inclusion proof and a checkpoint, as JSON bytes with their ETag. */
  lookupJson(groupId: string, start = 0): Promise<LookupAnswer> {
    assertPeersId(groupId, 'groupId');
    return this.bundles.bundleJson(groupId, start);
  }

  /**
   * GET /v1/users/{userId}/groups: the groups whose head lists the user, from groupId `start` on —
   * a page of them, as JSON bytes. An index, not proof: a client verifies a group it cares about
   * with GET /v1/groups/{groupId}. The user need not have an identity here (groups may pin keys of
   * users registered elsewhere), so an unknown user is an empty list, not a 404.
   */
  async groupsOfJson(userId: string, start = ''): Promise<Buffer> {
    assertPeersId(userId, 'userId');
    const rows = await readGroupsOfPage(this.db, userId, start, this.bounds);
    const page = cutPage(rows, (row) => (row.group === null ? null : [JSON.stringify(row.group)]), (row) => row.groupId, this.bounds);
    return jsonBuffer([`{"userId":"${userId}",`, ...pageMembers('groups', page), '}']);
  }
}
