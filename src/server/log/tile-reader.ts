/**
 * The log as C2SP tlog-tiles (DESIGN.md §5.3): hash tiles from the stored perfect subtrees (tile
 * level L holds tree level 8·L), entry bundles from the stored entries.
 *
 * Every tile is a pure function of the log's first entries, so its bytes never change once the
 * tree is big enough to hold it; a partial tile is a prefix of its full tile. Whether the tree
 * holds a tile is judged against the largest checkpoint size this process has read: sizes only
 * grow, in every process, so a size once seen is never wrong as a lower bound (DESIGN.md §9); the
 * database is asked again (through LogReader.latest) only for a tile past it. Hash tiles read
 * their hashes through the subtree store and its byte-bounded cache; entry bundles, which a
 * query and string building make, are kept gzipped in a cache of their own, bounded by bytes.
 * Only the gzipped bytes are kept: clients that read tiles take gzip (tlog-tiles: bundles SHOULD
 * be compressed; fetch and Go's HTTP client ask for it), and the uncompressed copy next to it was
 * most of the cache, resident for good in the malloc heap (issue 19: the whole cache of a log of
 * 17,540 entries was 24 MB of the embedded server's RSS). A client that refuses gzip gets the
 * bundle inflated on each request.
 */
import { promisify } from 'node:util';
import { gunzip, gzip } from 'node:zlib';
import { readLeafRun } from '../../db/tile-repository.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import { ProtocolError } from '../../protocol/errors.js';
import { subtreeKey, type Subtree } from '../../protocol/merkle.js';
import { encodeHashTile, formatTilePath, MAX_BUNDLE_ENTRY_BYTES, tileExistsAt, tileSubtrees, TILE_WIDTH, type TileId } from '../../protocol/tiles.js';
import { GenerationalCache } from '../generational-cache.js';
import type { Database } from '../../db/database.js';

const gzipAsync = promisify(gzip);
/**
 * zlib's output chunk when gzipping a bundle: as large as a full bundle's output, so that it is one
 * chunk, which glibc maps on its own (npm start's mmap_threshold, 128 KiB) and unmaps when V8
 * frees it, where zlib's 16 KiB default made a dozen chunks per bundle in the malloc heap.
 * The result is copied to its exact size either way.
 */
const GZIP_CHUNK_BYTES = 256 * 1024;
const gunzipAsync = promisify(gunzip);

export interface Tile {
  /** The tile's bytes, uncompressed (an entry bundle's are inflated from `gzipped` on each call). */
  bytes(): Promise<Buffer>;
  /** An entry bundle's bytes gzipped (tlog-tiles: bundles SHOULD be compressed); hash tiles, random bytes, have none. */
  gzipped?: Buffer;
  /** A full tile (256 hashes or entries): cacheable forever. */
  full: boolean;
}

export class TileReader {
  /** The largest tree size seen in a checkpoint read from the database. */
  private knownSize = 0;
  private readonly bundles: GenerationalCache<string, Buffer>;

  constructor(
    private readonly db: Pick<Database, 'query'>,
    private readonly subtrees: SubtreeStore,
    /** The latest checkpoint's size, read from the database. */
    private readonly latestSize: () => Promise<number>,
    /** Bound of the entry-bundle cache (config TILE_CACHE_BYTES). */
    cacheBytes: number,
  ) {
    this.bundles = new GenerationalCache({ entries: Math.max(1, Math.floor(cacheBytes / 1024)), bytes: cacheBytes }, (gzipped) => gzipped.length);
  }

  /** The tile's bytes; NOT_FOUND for a tile the tree does not hold (yet), or a bundle with an entry too long for one. */
  async read(tile: TileId): Promise<Tile> {
    await this.requireTile(tile);
    const full = tile.width === TILE_WIDTH;
    if (tile.level !== 'entries') {
      const bytes = await this.hashTile(tile.level, tile.index, tile.width);
      return { bytes: async () => bytes, full };
    }
    const gzipped = await this.bundle(tile.index, tile.width);
    return { bytes: () => gunzipAsync(gzipped), gzipped, full };
  }

  private async requireTile(tile: TileId): Promise<void> {
    if (tileExistsAt(tile, this.knownSize)) return;
    this.knownSize = Math.max(this.knownSize, await this.latestSize());
    if (!tileExistsAt(tile, this.knownSize)) {
      throw new ProtocolError('NOT_FOUND', `the log's tree of ${this.knownSize} entries has no ${formatTilePath(tile)}`);
    }
  }

  private async hashTile(level: number, index: number, width: number): Promise<Buffer> {
    const { treeLevel, first, count } = tileSubtrees(level, index, width);
    const wanted: Subtree[] = [];
    for (let i = 0; i < count; i++) wanted.push({ level: treeLevel, index: first + i });
    const hashes = await this.subtrees.read(wanted);
    const bytes = encodeHashTile(wanted.map((s) => hashes.get(subtreeKey(s))!));
    return Buffer.from(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  /** The entry bundle's bytes, gzipped. */
  private async bundle(index: number, width: number): Promise<Buffer> {
    const key = `${index}/${width}`;
    const cached = this.bundles.get(key);
    if (cached !== undefined) return cached;
    const leaves = await readLeafRun(this.db, index * TILE_WIDTH, width);
    if (leaves.length !== width) throw new Error(`the log is missing entries of bundle ${index}: run verify-log`);
    const lengths = leaves.map((leaf) => Buffer.byteLength(leaf, 'utf8'));
    const long = lengths.findIndex((length) => length > MAX_BUNDLE_ENTRY_BYTES);
    if (long >= 0) {
      // tlog-tiles lengths are uint16; a group record may be up to 128 KiB (DESIGN.md §5.3).
      throw new ProtocolError(
        'NOT_FOUND',
        `entry ${index * TILE_WIDTH + long} is ${lengths[long]} bytes, more than an entry bundle can carry (${MAX_BUNDLE_ENTRY_BYTES}): ` +
          `read entries ${index * TILE_WIDTH} to ${index * TILE_WIDTH + width - 1} from /v1/log/entries`,
      );
    }
    const bytes = encodeTextBundle(leaves, lengths);
    // Compressed once per bundle; only the compressed bytes are kept.
    const gzipped = await gzipAsync(bytes, { chunkSize: GZIP_CHUNK_BYTES });
    this.bundles.set(key, gzipped);
    return gzipped;
  }
}

/**
 * encodeEntryBundle (protocol/tiles.ts) of the leaves' UTF-8 bytes — each a big-endian uint16
 * length, then the bytes — written from their texts straight into one buffer. A buffer per leaf
 * first (Buffer.from, 256 a bundle) came from Node's 8 KiB pool slabs in the malloc heap, garbage
 * until V8's next collection: a tiles phase that built every bundle of a 17,540-entry log at once
 * grew the embedded server's malloc heap by 20 MB and kept it (issue 19). `lengths` are the
 * leaves' UTF-8 lengths, each at most MAX_BUNDLE_ENTRY_BYTES.
 */
export function encodeTextBundle(leaves: readonly string[], lengths: readonly number[]): Buffer {
  let total = 0;
  for (const length of lengths) total += 2 + length;
  // Unpooled: a full bundle (about 270 KB) is mapped on its own and unmapped when V8 frees it.
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  leaves.forEach((leaf, i) => {
    at = out.writeUInt16BE(lengths[i]!, at);
    at += out.write(leaf, at, 'utf8');
  });
  return out;
}
