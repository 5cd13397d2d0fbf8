/**
 * What the key map (DESIGN.md §5.2) costs at a size: the time a registry takes to load it at
 * start (from the chains' tables) and to rebuild it from scratch out of the log's entries, as an
 * auditor does, measured in the bench's process; and the map proof sizes of real answers.
 */
import type { Database } from '../../src/db/database.js';
import { readEntries } from '../../src/db/log-repository.js';
import { fromBase64Url } from '../../src/protocol/encoding.js';
import { newPeersId } from '../../src/protocol/ids.js';
import { mapUpdatesOf, type MapRecord } from '../../src/protocol/key-map-fold.js';
import { KeyMap } from '../../src/protocol/key-map-tree.js';
import { MapState } from '../../src/server/log/map-state.js';

export interface MapLoadFigures {
  keys: number;
  logSize: number;
  loadFromTablesSeconds: number;
  rebuildFromLogSeconds: number;
  rebuildMatchesTables: boolean;
}

/** Loading and rebuilding the map of the log in `db`. */
export async function mapLoadFigures(db: Database): Promise<MapLoadFigures> {
  let started = performance.now();
  const loaded = await MapState.load(db);
  const loadSeconds = (performance.now() - started) / 1000;
  started = performance.now();
  const map = new KeyMap();
  for (let start = 0; start < loaded.size; start += 1000) {
    const rows = await readEntries(db.prisma, start, Math.min(1000, loaded.size - start));
    map.apply(mapUpdatesOf(rows.map((r) => ({ index: r.index, acceptedAt: '', record: JSON.parse(r.record) as MapRecord })), start));
  }
  const rebuildSeconds = (performance.now() - started) / 1000;
  const same = Buffer.from(map.root()).equals(Buffer.from((await loaded.at(loaded.size))!.root()));
  return { keys: map.size, logSize: loaded.size, loadFromTablesSeconds: loadSeconds, rebuildFromLogSeconds: rebuildSeconds, rebuildMatchesTables: same };
}

export interface ProofSizes {
  present: { avg: number; max: number };
  absent: { avg: number; max: number };
}

/** Map proof bytes in 200 lookups of random identities among `ids` and 200 of unknown ids. */
export async function mapProofSizes(base: string, ids: string[]): Promise<ProofSizes> {
  const present: number[] = [];
  const absent: number[] = [];
  for (let i = 0; i < 200; i++) {
    const found = (await (await fetch(`${base}/v1/users/${ids[Math.floor(Math.random() * ids.length)]!}`)).json()) as { mapProof?: string };
    present.push(fromBase64Url(found.mapProof ?? '')?.length ?? 0);
    const missing = (await (await fetch(`${base}/v1/users/${newPeersId()}`)).json()) as { mapProof?: string };
    absent.push(fromBase64Url(missing.mapProof ?? '')?.length ?? 0);
  }
  const avg = (xs: number[]) => Math.round(xs.reduce((a, b) => a + b, 0) / xs.length);
  return { present: { avg: avg(present), max: Math.max(...present) }, absent: { avg: avg(absent), max: Math.max(...absent) } };
}
