/** Read side of the transparency log: checkpoints, proofs and entries (DESIGN.md §5–6). */
import type { Database } from '../../db/database.js';
import { latestCheckpoint, readEntryPage, type StoredCheckpoint } from '../../db/log-repository.js';
import { latestCosignedCheckpoint } from '../../db/cosignature-repository.js';
import { ProtocolError } from '../../protocol/errors.js';
import { formatTimestamp } from '../../protocol/time.js';
import { Coalescer } from '../coalescer.js';
import { cutPage, jsonBuffer, MAX_PAGE_ITEMS, pageMembers, type Page } from '../pages.js';
import type { SubtreeStore } from '../../db/subtree-store.js';

/** A page of `GET /v1/log/entries` as JSON bytes, and whether the log goes on after it. */
export interface EntriesPage {
  json: Buffer;
  /** Whether `next` is set: then the page holds entries that exist and never change (DESIGN.md §9). */
  continues: boolean;
}

export class LogReader {
  /** Concurrent requests for the latest checkpoint share one query per round. */
  private readonly latestRounds: Coalescer<'latest', StoredCheckpoint | null>;

  constructor(
    private readonly db: Database,
    private readonly subtrees: SubtreeStore,
    /** The most bytes of entries a page holds (config PAGE_MAX_BYTES). */
    private readonly pageBytes: number,
  ) {
    this.latestRounds = new Coalescer(async () => new Map([['latest', await latestCheckpoint(db)]]));
  }

  /**
   * The newest checkpoint, always read from the database (by a query that started after this was
   * asked, see Coalescer): never a stale "latest" from memory.
   * A registry has one from its first start (LogWriter.init); a mirror only once it has copied
   * its registry's log, and until then this is 503 UNAVAILABLE rather than a fault.
   */
  async latest(): Promise<StoredCheckpoint> {
    const checkpoint = await this.latestRounds.get('latest');
    if (checkpoint === null) throw new ProtocolError('UNAVAILABLE', 'the log has no checkpoint yet: this mirror has not yet copied its registry’s log');
    return checkpoint;
  }

  private async requireSize(size: number): Promise<void> {
    const { size: current } = await this.latest();
    if (size > current) throw new ProtocolError('NOT_FOUND', `the log has ${current} entries; there is no tree of size ${size} yet`);
  }

  async inclusionProof(index: number, size: number): Promise<{ index: number; size: number; hashes: string[] }> {
    if (index >= size) throw new ProtocolError('MALFORMED', 'index must be less than size');
    await this.requireSize(size);
    return { index, size, hashes: await this.subtrees.inclusionProof(index, size) };
  }

  async consistencyProof(from: number, to: number): Promise<{ from: number; to: number; hashes: string[] }> {
    if (from > to) throw new ProtocolError('MALFORMED', 'from must not be greater than to');
    await this.requireSize(to);
    return { from, to, hashes: await this.subtrees.consistencyProof(from, to) };
  }

  /**
   * Up to `limit` entries from `start`, and at most `pageBytes` of them (DESIGN.md §6, "Pages").
   * Records are spliced in as their stored canonical text, which the registry verified before it
   * accepted it: nothing is parsed.
   */
  async entries(start: number, limit: number): Promise<EntriesPage> {
    if (limit < 1 || limit > MAX_PAGE_ITEMS) throw new ProtocolError('MALFORMED', `limit must be 1 to ${MAX_PAGE_ITEMS}`);
    const bounds = { maxItems: limit, maxBytes: this.pageBytes };
    const rows = await readEntryPage(this.db, start, bounds);
    const page: Page<number> = cutPage(
      rows,
      (row) => (row.record === null ? null : [`{"index":${row.index},"acceptedAt":"${formatTimestamp(row.acceptedAt!)}","record":`, row.record, '}']),
      (row) => row.index,
      bounds,
    );
    return { json: jsonBuffer(['{', ...pageMembers('entries', page), '}']), continues: page.next !== undefined };
  }

  /**
   * The newest checkpoint cosigned by at least `count` witnesses (DESIGN.md §5.4): what a client
   * with a witness policy checks a fresher, not yet cosigned checkpoint against. NOT_FOUND if none.
   */
  async latestCosigned(count: number): Promise<{ size: number; note: string }> {
    const checkpoint = await latestCosignedCheckpoint(this.db, count);
    if (checkpoint === null) throw new ProtocolError('NOT_FOUND', `no recent checkpoint is cosigned by ${count} witnesses yet`);
    return checkpoint;
  }
}
