/**
 * Which way a follower (the mirror, `peerkeys log verify`) reads a registry's log (DESIGN.md
 * §5.3): through tiles when the registry announces them (`tiles` in GET /v1/registry) or the
 * caller names a tile prefix, else through the entries API and the proof endpoints. Both are
 * verified against checkpoints signed by the pinned key, so the choice is about load, not trust:
 * tiles are static, cacheable forever and servable by anything, where each page of the entries
 * API is a query on the registry's database.
 */
import { nodeVerify } from '../node/node-ed25519.js';
import { registryInfoSchema } from '../sdk/responses.js';
import { verifyCheckpoint, type VerifiedCheckpoint } from '../sdk/verify.js';
import { RegistryFeed, type FetchedEntry, type RegistryFeedOptions } from './registry-feed.js';
import { TileFetcher } from './tile-fetcher.js';
import { TileLogSource } from './tile-log-source.js';

/** `auto`: tiles when the registry announces them; `off`: the entries API; else a tile prefix URL. */
export type TilesChoice = 'auto' | 'off' | string;

export interface FollowerFeedOptions extends RegistryFeedOptions {
  /** Default `auto`. */
  tiles?: TilesChoice;
}

/** A RegistryFeed that reads the checkpoint, consistency proofs and entries through tiles when it can. */
export class FollowerFeed extends RegistryFeed {
  /** The tile source; null: the entries API; undefined: not decided yet (`auto` asks the registry first). */
  private source: TileLogSource | null | undefined;

  constructor(private readonly options: FollowerFeedOptions) {
    super(options);
    const tiles = options.tiles ?? 'auto';
    if (tiles === 'off') this.source = null;
    else if (tiles !== 'auto') this.source = this.tileSource(tiles);
  }

  /** The tile prefix read from, or null for the entries API; undefined before the first read under `auto`. */
  get tilePrefix(): string | null | undefined {
    return this.source === undefined ? undefined : (this.source?.fetcher.prefix ?? null);
  }

  override async checkpoint(): Promise<VerifiedCheckpoint> {
    const tiles = await this.decide();
    if (tiles === null) return super.checkpoint();
    // `<prefix>/checkpoint`, verified against the pinned key; entries are then checked against it.
    const checkpoint = await verifyCheckpoint(await tiles.fetcher.checkpoint(), this.key, nodeVerify);
    tiles.use(checkpoint);
    return checkpoint;
  }

  /** From the tiles of the tree of `to` (unverified: the caller checks it against both roots). */
  override async consistencyProof(from: number, to: number): Promise<Uint8Array[]> {
    const tiles = await this.decide();
    return tiles === null ? super.consistencyProof(from, to) : tiles.consistencyProof(from, to);
  }

  override async *pages(start: number, end: number): AsyncGenerator<FetchedEntry[]> {
    const tiles = await this.decide();
    if (tiles === null) {
      yield* super.pages(start, end);
      return;
    }
    // A caller that verified a newer checkpoint elsewhere (the SDK's, in log verify) reads past ours.
    if ((tiles.head?.size ?? -1) < end) await this.checkpoint();
    yield* tiles.pages(start, end);
  }

  /** Under `auto`, once: does the registry announce tiles? A network failure leaves it undecided. */
  private async decide(): Promise<TileLogSource | null> {
    if (this.source !== undefined) return this.source;
    const info = registryInfoSchema.safeParse(await this.client.request('GET', '/v1/registry'));
    const announced = info.success ? info.data.tiles : undefined;
    // A URL reference resolved against the registry's URL: "/v1/log" is the registry's own prefix.
    this.source = announced === undefined ? null : this.tileSource(new URL(announced, `${this.url}/`).href);
    return this.source;
  }

  private tileSource(prefix: string): TileLogSource {
    const fetcher = new TileFetcher(prefix, this.options.fetch !== undefined ? { fetch: this.options.fetch } : {});
    return new TileLogSource(fetcher, (start, count) => this.entriesFromApi(start, count));
  }

  /** `count` entries from `start` through the entries API, however it cuts its pages. */
  private async entriesFromApi(start: number, count: number): Promise<FetchedEntry[]> {
    const out: FetchedEntry[] = [];
    for await (const page of super.pages(start, start + count)) out.push(...page);
    return out;
  }
}
