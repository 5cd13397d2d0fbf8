/**
 * The Peers trust levels of the peers this side meets (DESIGN.md §10.5), and the client-side state
 * they need: when each user and each device was first seen, the keys on record for each user, and
 * the marks the user sets (Trusted, Untrusted, Malicious). Kept in a ClientStore (memory, a file
 * with `@peerkeys/sdk/node`'s FileStore, or a browser's localStorage), so a device's age survives
 * restarts.
 *
 * Levels, after Peers' get-trust-level-fn (peers-app.github.io _sources/…/get-trust-level-fn.md):
 * Malicious −20, Untrusted −10, Unknown 0, NewUser 10, NewDevice 20, Known 30, Trusted 50, Self 100.
 * A connection goes through only at Unknown or above.
 */
import { formatTimestamp } from '../protocol/time.js';
import { TRUST_LEVELS, type TrustLevelName } from './handshake/trust.js';
import type { ClientStore } from './store.js';

/** A device first seen more than this long ago is Known (Peers: 7 days). */
export const DEVICE_KNOWN_AFTER_MS = 7 * 24 * 60 * 60 * 1000;

/** What a user can mark a peer (a userId) as. */
export type PeerMark = 'Trusted' | 'Untrusted' | 'Malicious';

/** Why a peer got its level; stable, for branching. */
export type AssessmentReason =
  /** Another device of this same user, with this user's keys. */
  | 'SELF'
  /** The user marked the peer (Trusted, Untrusted or Malicious). */
  | 'MARKED'
  /** The peer's keys differ from the ones on record (or, for this user's own id, from its own). */
  | 'KEY_MISMATCH'
  /** The first time this userId is seen. */
  | 'NEW_USER'
  /** A known user on a device first seen at most 7 days ago. */
  | 'NEW_DEVICE'
  /** A known user on a device first seen more than 7 days ago. */
  | 'KNOWN_DEVICE';

export interface PeerAssessment {
  level: number;
  levelName: TrustLevelName;
  reason: AssessmentReason;
  /** When this user and this device were first seen (absent when the assessment recorded nothing). */
  userFirstSeen?: string;
  deviceFirstSeen?: string;
  /** True when the keys on record were replaced by the presented ones (see `acceptKeyChange`). */
  keysChanged: boolean;
}

/** A peer as a handshake presents it. */
export interface PresentedPeer {
  userId: string;
  deviceId: string;
  publicKey: string;
  publicBoxKey: string;
}

export interface AssessOptions {
  /** This side's own identity: another device with the same userId and keys is Self. */
  self?: { userId: string; publicKey: string; publicBoxKey: string };
  /**
   * The presented keys were vouched for by a source that can establish a key change (a verified
   * registry lookup, the anchors on record, keys pinned in person): keys that differ from the ones
   * on record replace them instead of making the peer Untrusted.
   */
  acceptKeyChange?: boolean;
}

interface UserEntry {
  firstSeen?: number;
  publicKey?: string;
  publicBoxKey?: string;
  mark?: PeerMark;
}

interface DeviceEntry {
  firstSeen: number;
}

export class TrustBook {
  private readonly now: () => number;
  private readonly prefix: string;

  constructor(
    private readonly store: ClientStore,
    options: { now?: () => number; prefix?: string } = {},
  ) {
    this.now = options.now ?? Date.now;
    this.prefix = options.prefix ?? 'peers-trust';
  }

  private async read<T>(key: string): Promise<T | null> {
    const text = await this.store.get(`${this.prefix}:${key}`);
    if (text === null || text === undefined) return null;
    try {
      return JSON.parse(text) as T;
    } catch {
      return null; // a damaged entry counts as never seen: the peer starts over as new
    }
  }

  private async write(key: string, value: object): Promise<void> {
    await this.store.set(`${this.prefix}:${key}`, JSON.stringify(value));
  }

  /** Marks a user (every device of it), or clears the mark with null. */
  async mark(userId: string, mark: PeerMark | null): Promise<void> {
    const { mark: _old, ...entry } = (await this.read<UserEntry>(`user:${userId}`)) ?? {};
    await this.write(`user:${userId}`, mark === null ? entry : { ...entry, mark });
  }

  async markOf(userId: string): Promise<PeerMark | null> {
    return (await this.read<UserEntry>(`user:${userId}`))?.mark ?? null;
  }

  /** The keys on record for a user, if any. */
  async keysOf(userId: string): Promise<{ publicKey: string; publicBoxKey: string } | null> {
    const entry = await this.read<UserEntry>(`user:${userId}`);
    return entry?.publicKey !== undefined && entry.publicBoxKey !== undefined ? { publicKey: entry.publicKey, publicBoxKey: entry.publicBoxKey } : null;
  }

  /** Replaces the keys on record for a user (after the anchors on record confirmed a new key). */
  async acceptKeys(userId: string, keys: { publicKey: string; publicBoxKey: string }): Promise<void> {
    const entry = (await this.read<UserEntry>(`user:${userId}`)) ?? {};
    await this.write(`user:${userId}`, { ...entry, publicKey: keys.publicKey, publicBoxKey: keys.publicBoxKey });
  }

  /**
   * The Peers trust level of `peer`, recording what is seen for the first time (the user, its keys,
   * the device). The keys must already be vouched for by the caller's trust sources: this says how
   * well this side knows the peer, not whether its keys are its own.
   */
  async assess(peer: PresentedPeer, options: AssessOptions = {}): Promise<PeerAssessment> {
    const now = this.now();
    const result = (levelName: TrustLevelName, reason: AssessmentReason, extra: Partial<PeerAssessment> = {}): PeerAssessment => ({
      level: TRUST_LEVELS[levelName],
      levelName,
      reason,
      keysChanged: false,
      ...extra,
    });
    const { self } = options;
    if (self !== undefined && self.userId === peer.userId) {
      if (self.publicKey !== peer.publicKey || self.publicBoxKey !== peer.publicBoxKey) return result('Untrusted', 'KEY_MISMATCH');
      const device = await this.seeDevice(peer, now);
      return result('Self', 'SELF', { deviceFirstSeen: formatTimestamp(device.firstSeen) });
    }

    const entry = (await this.read<UserEntry>(`user:${peer.userId}`)) ?? {};
    if (entry.mark === 'Malicious') return result('Malicious', 'MARKED');
    if (entry.mark === 'Untrusted') return result('Untrusted', 'MARKED');

    let keysChanged = false;
    const onRecord = entry.publicKey !== undefined && entry.publicBoxKey !== undefined;
    if (onRecord && (entry.publicKey !== peer.publicKey || entry.publicBoxKey !== peer.publicBoxKey)) {
      // Peers: a different key is accepted only when the anchors confirm it; the stored key stays.
      if (options.acceptKeyChange !== true) return result('Untrusted', 'KEY_MISMATCH');
      keysChanged = true;
    }
    const isNewUser = entry.firstSeen === undefined;
    const updated: UserEntry = { ...entry, firstSeen: entry.firstSeen ?? now, publicKey: peer.publicKey, publicBoxKey: peer.publicBoxKey };
    if (isNewUser || keysChanged || !onRecord) await this.write(`user:${peer.userId}`, updated);
    const device = await this.seeDevice(peer, now);
    const seen = { userFirstSeen: formatTimestamp(updated.firstSeen!), deviceFirstSeen: formatTimestamp(device.firstSeen), keysChanged };

    if (entry.mark === 'Trusted') return result('Trusted', 'MARKED', seen);
    if (isNewUser) return result('NewUser', 'NEW_USER', seen);
    if (now - device.firstSeen > DEVICE_KNOWN_AFTER_MS) return result('Known', 'KNOWN_DEVICE', seen);
    return result('NewDevice', 'NEW_DEVICE', seen);
  }

  private async seeDevice(peer: PresentedPeer, now: number): Promise<DeviceEntry> {
    const key = `device:${peer.userId}:${peer.deviceId}`;
    const known = await this.read<DeviceEntry>(key);
    if (known !== null && Number.isSafeInteger(known.firstSeen)) return known;
    const entry = { firstSeen: now };
    await this.write(key, entry);
    return entry;
  }
}
