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
 * 17,540 entries was 24 MB of the embedded server's RSS). The uncompressed bytes' length and
 * strong ETag are kept with them, so a client that refuses gzip (curl with no flags, `identity`,
 * `br` only) is answered a HEAD or a revalidation (304) without an inflate; its GET inflates the
 * bundle, into one buffer of the known size, on each request.
 */
import { promisify } from 'node:util';
import { constants, gunzip, gzip } from 'node:zlib';
import { readLeafRun } from '../../db/tile-repository.js';
import type { SubtreeStore } from '../../db/subtree-store.js';
import { ProtocolError } from '../../protocol/errors.js';
import { subtreeKey, type Subtree } from '../../protocol/merkle.js';
import { encodeHashTile, formatTilePath, MAX_BUNDLE_ENTRY_BYTES, tileExistsAt, tileSubtrees, TILE_WIDTH, type TileId } from '../../protocol/tiles.js';
import { GenerationalCache } from '../generational-cache.js';
import { strongEtag } from '../http/caching.js';
import type { Database } from '../../db/database.js';

const gzipAsync = promisify(gzip);
const gunzipAsync = promisify(gunzip);
/**
 * zlib's output chunk when gzipping a bundle: as large as a full bundle's output, so that it is one
 * chunk, which glibc maps on its own (npm start's mmap_threshold, 128 KiB) and unmaps when V8
 * frees it, where zlib's 16 KiB default made a dozen chunks per bundle in the malloc heap.
 * What is kept is copied to its exact size (ownBytes).
 */
const GZIP_CHUNK_BYTES = 256 * 1024;

export interface Tile {
  /** The tile's uncompressed bytes, made on each call (an entry bundle's inflated from `bundle.gzipped`). */
  body(): Promise<Buffer>;
  /** An entry bundle's, as the cache keeps it; hash tiles, random bytes, have none. */
  bundle?: GzippedBundle;
  /** A full tile (256 hashes or entries): cacheable forever. */
  full: boolean;
}

/** An entry bundle as the cache keeps it, made once and never changed (the cache charges it again when it leaves). */
export interface GzippedBundle {
  /** Its bytes gzipped (tlog-tiles: bundles SHOULD be compressed), owning exactly their memory. */
  readonly gzipped: Buffer;
  /** Its uncompressed bytes' length and strong ETag (http/caching.ts, as Express gives them). */
  readonly length: number;
  readonly etag: string;
}

export class TileReader {
  /** The largest tree size seen in a checkpoint read from the database. */
  private knownSize = 0;
  private readonly bundles: GenerationalCache<string, GzippedBundle>;

  constructor(
    private readonly db: Pick<Database, 'query'>,
    private readonly subtrees: SubtreeStore,
    /** The latest checkpoint's size, read from the database. */
    private readonly latestSize: () => Promise<number>,
    /** Bound of the entry-bundle cache (config TILE_CACHE_BYTES). */
    cacheBytes: number,
  ) {
    this.bundles = new GenerationalCache({ entries: Math.max(1, Math.floor(cacheBytes / 1024)), bytes: cacheBytes }, (b) => b.gzipped.length + b.etag.length);
  }

  /** The tile's bytes; NOT_FOUND for a tile the tree does not hold (yet), or a bundle with an entry too long for one. */
  async read(tile: TileId): Promise<Tile> {
    await this.requireTile(tile);
    const full = tile.width === TILE_WIDTH;
    if (tile.level !== 'entries') {
      const bytes = await this.hashTile(tile.level, tile.index, tile.width);
      return { body: async () => bytes, full };
    }
    const bundle = await this.bundle(tile.index, tile.width);
    // One output chunk of the known size, not zlib's 16 KiB (17 chunks and a copy for a full
    // bundle); one byte more, as a chunk filled to its end makes zlib allocate another.
    return { body: () => gunzipAsync(bundle.gzipped, { chunkSize: Math.max(bundle.length + 1, constants.Z_MIN_CHUNK) }), bundle, full };
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

  /** The entry bundle, gzipped. */
  private async bundle(index: number, width: number): Promise<GzippedBundle> {
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
    // Compressed once per bundle; only the compressed bytes are kept, with the length and ETag a
    // client that refuses gzip is answered with.
    const bundle = { gzipped: ownBytes(await gzipAsync(bytes, { chunkSize: GZIP_CHUNK_BYTES })), length: bytes.length, etag: strongEtag(bytes) };
    this.bundles.set(key, bundle);
    return bundle;
  }
}

/**
 * `buffer`, or a copy of it that owns exactly its bytes: what the cache keeps is counted by its
 * length. zlib returns its output chunk uncopied when the output is one chunk (a view on a
 * GZIP_CHUNK_BYTES buffer), and Buffer.concat's results under 4 KiB are views on Node's shared
 * 8 KiB pool slabs; either would keep a larger ArrayBuffer alive than the cache counts.
 */
function ownBytes(buffer: Buffer): Buffer {
  if (buffer.byteOffset === 0 && buffer.buffer.byteLength === buffer.length) return buffer;
  const own = Buffer.allocUnsafeSlow(buffer.length);
  buffer.copy(own);
  return own;
}

/**
 * encodeEntryBundle (protocol/tiles.ts) of the leaves' UTF-8 bytes — each a big-endian uint16
 * length, then the bytes — written from their texts straight into one buffer. A buffer per leaf
 * first (Buffer.from, 256 a bundle) came from Node's 8 KiB pool slabs in the malloc heap, garbage
 * until V8's next collection: with zlib's 16 KiB output chunks, a tiles phase that built every
 * bundle of a 17,540-entry log at once grew the embedded server's malloc heap by 20 MB and kept
 * it; 9 MB now (issue 19). `lengths` are the leaves' UTF-8 lengths, each at most
 * MAX_BUNDLE_ENTRY_BYTES; a wrong one would leave memory unwritten or a leaf cut short, so each is
 * checked and the buffer must come out exactly filled, or this throws (before anything is cached).
 * test/unit/tile-reader.test.ts holds it to encodeEntryBundle's output.
 */
export function encodeTextBundle(leaves: readonly string[], lengths: readonly number[]): Buffer {
  let total = 0;
  for (const length of lengths) total += 2 + length;
  // Unpooled: a full bundle (about 270 KB) is mapped on its own and unmapped when V8 frees it.
  const out = Buffer.allocUnsafeSlow(total);
  let at = 0;
  leaves.forEach((leaf, i) => {
    const length = lengths[i]!;
    // A short length would truncate the leaf (or spill into the next) unseen by the fill check below.
    if (Buffer.byteLength(leaf, 'utf8') !== length) throw new Error(`entry bundle leaf ${i}: ${length} is not its UTF-8 length`);
    at = out.writeUInt16BE(length, at);
    at += out.write(leaf, at, length, 'utf8');
  });
  if (at !== total) throw new Error(`an entry bundle of ${total} bytes came out ${at} bytes long`);
  return out;
}
