/**
 * A mirror: a registry service in read-only mode (the same routes, LogReader, IdentityService and
 * tables as a registry, on a database of its own) and the follower that fills that database from
 * the registry it follows. Its lookups carry the registry's own checkpoints, so clients verify
 * them against the registry's vkey, exactly as they verify the registry.
 */
import type { Logger } from 'pino';
import type { Config } from '../config.js';
import type { Database } from '../db/database.js';
import { verifierLogKey } from '../node/log-key.js';
import { RegistryService } from '../service.js';
import { MirrorFollower } from './follower.js';
import { FollowerFeed, type TilesChoice } from './follower-feed.js';

export interface MirrorOptions {
  /** The registry to follow. */
  registryUrl: string;
  /** Its log verifier key (C2SP vkey), pinned out of band. */
  vkey: string;
  /** The mirror's own configuration (HTTP, database, rate limits); its log signing key is unused. */
  config: Config;
  /** An already open database (owned by the caller), e.g. a test's own schema. */
  database?: Database;
  logger?: Logger;
  devicesPerRound?: number;
  /** How to read the registry's log (DESIGN.md §5.3): through its tiles when it announces them (`auto`, the default), `off`, or a tile prefix URL. */
  tiles?: TilesChoice;
  onProgress?: (done: number, total: number) => void;
}

export interface Mirror {
  service: RegistryService;
  follower: MirrorFollower;
}

export async function createMirror(options: MirrorOptions): Promise<Mirror> {
  const logKey = verifierLogKey(options.vkey);
  if (logKey === null) throw new TypeError('the vkey is not a valid C2SP Ed25519 verifier key (<name>+<8 hex digits>+<base64 key>)');
  const registryUrl = options.registryUrl.replace(/\/+$/, '');
  let follower: MirrorFollower | null = null;
  const service = await RegistryService.create(options.config, {
    logKey,
    mirror: { registryUrl, notReady: () => (follower === null ? 'this mirror is starting' : follower.notReady()) },
    ...(options.database !== undefined ? { database: options.database } : {}),
    ...(options.logger !== undefined ? { logger: options.logger } : {}),
  });
  try {
    follower = new MirrorFollower({
      db: service.db,
      feed: new FollowerFeed({ url: registryUrl, vkey: options.vkey, ...(options.tiles !== undefined ? { tiles: options.tiles } : {}) }),
      logger: service.logger,
      ...(options.devicesPerRound !== undefined ? { devicesPerRound: options.devicesPerRound } : {}),
      ...(options.onProgress !== undefined ? { onProgress: options.onProgress } : {}),
    });
    await follower.checkDatabase();
    return { service, follower };
  } catch (error) {
    await service.destroy();
    throw error;
  }
}
