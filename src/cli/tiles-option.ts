/** `--tiles`: how `peerkeys mirror` and `peerkeys log verify` read a registry's log (DESIGN.md §5.3). */
import type { TilesChoice } from '../mirror/follower-feed.js';
import { stringOption, UsageError } from './command.js';

export const TILES_OPTION = { tiles: { type: 'string' } } as const;

export const TILES_OPTION_HELP = `  --tiles <url|off> where to read the log: by default through the registry's C2SP tlog-tiles
                    when GET /v1/registry announces them, else through /v1/log/entries; a URL
                    reads the tiles under that prefix instead (a CDN or a copy of them:
                    <url>/checkpoint, <url>/tile/...); off reads /v1/log/entries. Every byte
                    is verified against checkpoints signed by the pinned key either way`;

export function tilesOption(values: Parameters<typeof stringOption>[0]): TilesChoice {
  const text = stringOption(values, 'tiles');
  if (text === undefined || text === 'auto' || text === 'off') return text ?? 'auto';
  let url: URL;
  try {
    url = new URL(text);
  } catch {
    throw new UsageError(`--tiles takes a tile prefix URL, auto or off, not "${text}"`);
  }
  if (url.protocol !== 'https:' && url.protocol !== 'http:') throw new UsageError(`--tiles takes an http or https URL, not "${text}"`);
  return url.href;
}
