/**
 * Watching one's own identity: an owner learns of every record accepted for it since the last
 * check — including one they did not make, which is how a stolen rotation key shows itself while
 * there is still time (72 hours) to recover with a stronger key.
 */
import type { RegistryClient } from './client.js';
import type { VerifiedHistoryEntry } from './verify.js';

export interface MonitorChange extends VerifiedHistoryEntry {
  /** False for a record whose hash is not among the owner's `knownHashes`: someone else made it. */
  expected: boolean;
}

export interface MonitorReport {
  userId: string;
  /** Records accepted since the last check, in log order, each verified to be in the log. */
  changes: MonitorChange[];
  /** Changes the owner did not expect (empty when `knownHashes` was not given). */
  unexpected: MonitorChange[];
  /** The log index up to which the identity has now been checked. */
  checkedThrough: number;
}

export interface MonitorOptions {
  /** Hashes of the records the owner made; any other new record is reported as unexpected. */
  knownHashes?: Iterable<string>;
}

/**
 * Reports every record about `userId` accepted since this client's last `monitor` call (all of
 * them the first time). The position is kept in the client's store, so a FileStore or
 * LocalStorageStore makes it survive restarts.
 */
export async function monitor(client: RegistryClient, userId: string, options: MonitorOptions = {}): Promise<MonitorReport> {
  const state = `monitor:${userId}`;
  const saved = await client.loadState(state);
  const since = saved === null ? -1 : (JSON.parse(saved) as { through: number }).through;
  const { entries, checkpoint } = await client.history(userId, { from: since + 1 });
  const known = options.knownHashes === undefined ? null : new Set(options.knownHashes);
  const changes = entries.filter((e) => e.index > since).map((e) => ({ ...e, expected: known === null || known.has(e.hash) }));
  const checkedThrough = Math.max(since, checkpoint.size - 1);
  await client.saveState(state, JSON.stringify({ through: checkedThrough }));
  return { userId, changes, unexpected: changes.filter((c) => !c.expected), checkedThrough };
}
