/**
 * Reads a tiled log's resources over HTTP (c2sp.org/tlog-tiles, DESIGN.md §5.3): the checkpoint,
 * hash tiles and entry bundles under a prefix — the registry's `/v1/log`, or a copy of it on a CDN
 * or an object store. Nothing here is trusted: a tile is only decoded to the width asked for, and
 * what it says is checked by its caller against a signed checkpoint (tile-log-source.ts). Bodies
 * are bounded by what a resource of that width can hold, whatever the server says.
 */
import { concatBytes } from '../protocol/encoding.js';
import { RegistryError, VerificationError } from '../sdk/errors.js';
import { decodeEntryBundle, decodeHashTile, formatTilePath, HASH_BYTES, MAX_BUNDLE_ENTRY_BYTES, type TileId } from '../protocol/tiles.js';

/** What a checkpoint note may take (the SDK's bound on notes). */
const MAX_CHECKPOINT_BYTES = 64 * 1024;

export class TileFetcher {
  /** The prefix, without a trailing slash. */
  readonly prefix: string;
  private readonly fetcher: typeof fetch;
  /** How long one resource may take, headers and body. */
  private readonly timeoutMs: number;

  constructor(prefix: string, options: { fetch?: typeof fetch; timeoutMs?: number } = {}) {
    this.prefix = prefix.replace(/\/+$/, '');
    this.fetcher = options.fetch ?? ((input, init) => globalThis.fetch(input, init));
    this.timeoutMs = options.timeoutMs ?? 30_000;
  }

  /** `<prefix>/checkpoint`, as text (verified by the caller). */
  async checkpoint(): Promise<string> {
    const bytes = await this.get('checkpoint', MAX_CHECKPOINT_BYTES);
    if (bytes === null) throw new RegistryError(404, 'NOT_FOUND', `${this.prefix}/checkpoint: 404`);
    return new TextDecoder().decode(bytes);
  }

  /** A hash tile's hashes; a 404 is a RegistryError (a tile the tree holds must be there: retry later). */
  async hashTile(level: number, index: number, width: number): Promise<Uint8Array[]> {
    const tile: TileId = { level, index, width };
    const bytes = await this.get(formatTilePath(tile), width * HASH_BYTES);
    if (bytes === null) throw new RegistryError(404, 'NOT_FOUND', `${this.prefix}/${formatTilePath(tile)}: 404`);
    return decodeHashTile(bytes, width) ?? invalid(`${formatTilePath(tile)} is ${bytes.length} bytes, not ${width} hashes`);
  }

  /** An entry bundle's entries, or null on 404 (a bundle with a leaf too long for one: read those entries another way). */
  async bundle(index: number, width: number): Promise<Uint8Array[] | null> {
    const path = formatTilePath({ level: 'entries', index, width });
    const bytes = await this.get(path, width * (2 + MAX_BUNDLE_ENTRY_BYTES));
    if (bytes === null) return null;
    return decodeEntryBundle(bytes, width) ?? invalid(`${path} is not ${width} length-prefixed entries`);
  }

  /** The body of `<prefix>/<path>`, at most `maxBytes`; null on 404. */
  private async get(path: string, maxBytes: number): Promise<Uint8Array | null> {
    const url = `${this.prefix}/${path}`;
    let response: Response;
    try {
      response = await this.fetcher(url, { signal: AbortSignal.timeout(this.timeoutMs) });
    } catch (error) {
      throw new RegistryError(0, 'NETWORK', `could not read ${url}: ${(error as Error).message}`, { cause: error });
    }
    if (response.status === 404) {
      await response.body?.cancel();
      return null;
    }
    if (!response.ok) {
      await response.body?.cancel();
      throw new RegistryError(response.status, 'UNKNOWN', `${url}: ${response.status}`);
    }
    const declared = Number(response.headers.get('content-length') ?? '0');
    if (declared > maxBytes) {
      await response.body?.cancel();
      invalid(`${url} is ${declared} bytes, more than ${maxBytes}`);
    }
    const chunks: Uint8Array[] = [];
    let length = 0;
    try {
      for await (const chunk of response.body ?? []) {
        length += chunk.length;
        if (length > maxBytes) invalid(`${url} is more than ${maxBytes} bytes`);
        chunks.push(chunk);
      }
    } catch (error) {
      if (error instanceof VerificationError) throw error;
      throw new RegistryError(0, 'NETWORK', `could not read ${url}: ${(error as Error).message}`, { cause: error });
    }
    return concatBytes(...chunks);
  }
}

function invalid(message: string): never {
  throw new VerificationError('INVALID_RESPONSE', message);
}
