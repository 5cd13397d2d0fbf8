/**
 * Which registry key the page verifies against. The page is served by the registry it checks, so
 * the key in its `<meta name="peerkeys-vkey">` proves nothing on its own: a dishonest registry
 * would simply present its own key. What a page can do is trust on first use — remember the first
 * key it was shown (or one the user pasted from a source they trust) and refuse to go on when the
 * registry later presents another. Lookups are always verified against the pinned key, never
 * against the presented one.
 */

export interface Pin {
  /** The C2SP verifier key string (`<origin>+<key id>+<base64 key>`). */
  vkey: string;
  pinnedAt: string;
  /** `first-use`: the key the registry presented on the first visit; `by-hand`: pasted by the user. */
  source: 'first-use' | 'by-hand';
}

export type PinCheck =
  /** Nothing was pinned: the presented key is pinned now. */
  | { kind: 'first-use'; pin: Pin }
  /** The registry presents the pinned key. */
  | { kind: 'match'; pin: Pin }
  /** The registry presents another key (or none, or a malformed one) than the pinned one. */
  | { kind: 'changed'; pin: Pin; presented: string | null }
  /** Nothing is pinned and the registry presents no valid key: there is nothing to verify against. */
  | { kind: 'no-key'; presented: string | null }
  /** Nothing is pinned yet, and the caller did not ask to pin (the search page only looks). */
  | { kind: 'unpinned'; presented: string | null };

const STORAGE_KEY = 'peerkeys-page:pinned-vkey';

/** Web Storage when the browser allows it (it may not: privacy modes, disabled storage), else null. */
export function browserStorage(): Storage | null {
  try {
    const storage = globalThis.localStorage;
    const probe = `${STORAGE_KEY}:probe`;
    storage.setItem(probe, '1');
    storage.removeItem(probe);
    return storage;
  } catch {
    return null;
  }
}

/** A Storage that forgets everything when the page closes, for browsers that refuse Web Storage. */
export class MemoryStorage implements Storage {
  private readonly values = new Map<string, string>();
  get length(): number {
    return this.values.size;
  }
  clear(): void {
    this.values.clear();
  }
  getItem(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  key(index: number): string | null {
    return [...this.values.keys()][index] ?? null;
  }
  removeItem(key: string): void {
    this.values.delete(key);
  }
  setItem(key: string, value: string): void {
    this.values.set(key, value);
  }
}

export class PinStore {
  /**
   * @param storage where the pin is kept (localStorage: per origin, so per registry)
   * @param isVerifierKey whether a string is a verifier key the SDK accepts
   */
  constructor(
    private readonly storage: Storage,
    private readonly isVerifierKey: (vkey: string) => boolean,
  ) {}

  /** The pinned key, or null. A stored value that is not a valid pin counts as none. */
  current(): Pin | null {
    const raw = this.storage.getItem(STORAGE_KEY);
    if (raw === null) return null;
    try {
      const pin = JSON.parse(raw) as Partial<Pin>;
      if (typeof pin.vkey !== 'string' || !this.isVerifierKey(pin.vkey) || typeof pin.pinnedAt !== 'string') return null;
      return { vkey: pin.vkey, pinnedAt: pin.pinnedAt, source: pin.source === 'by-hand' ? 'by-hand' : 'first-use' };
    } catch {
      return null;
    }
  }

  /** Pins `vkey`, replacing any earlier pin. */
  pin(vkey: string, source: Pin['source'], now = new Date()): Pin {
    if (!this.isVerifierKey(vkey)) throw new TypeError('not a verifier key');
    const pin: Pin = { vkey, pinnedAt: now.toISOString(), source };
    this.storage.setItem(STORAGE_KEY, JSON.stringify(pin));
    return pin;
  }

  /**
   * Compares the key the registry presents with the pinned one. With nothing pinned, pins it when
   * `pinIfNone` (a lookup is about to use it), else only reports that nothing is pinned yet — so
   * that the first lookup, not a glance at the search page, is the "first use" it is shown as.
   */
  check(presented: string | null, pinIfNone = true): PinCheck {
    const pinned = this.current();
    const valid = presented !== null && this.isVerifierKey(presented);
    if (pinned === null && !pinIfNone) return { kind: 'unpinned', presented };
    if (pinned === null) return valid ? { kind: 'first-use', pin: this.pin(presented, 'first-use') } : { kind: 'no-key', presented };
    return valid && presented === pinned.vkey ? { kind: 'match', pin: pinned } : { kind: 'changed', pin: pinned, presented };
  }
}
