/**
 * Where a client keeps what it has verified (the last checkpoint, the last head of each identity
 * it looked up), so that a registry cannot later show it an older or forked view unnoticed.
 */

/** A small string key-value store; synchronous or asynchronous. */
export interface ClientStore {
  get(key: string): string | null | undefined | Promise<string | null | undefined>;
  set(key: string, value: string): void | Promise<void>;
}

/** Keeps state in memory: for one process's lifetime. */
export class MemoryStore implements ClientStore {
  private readonly values = new Map<string, string>();
  get(key: string): string | null {
    return this.values.get(key) ?? null;
  }
  set(key: string, value: string): void {
    this.values.set(key, value);
  }
}

/** Keeps state in a browser's localStorage (or any Web Storage), under a prefix. */
export class LocalStorageStore implements ClientStore {
  constructor(
    private readonly storage: Storage = globalThis.localStorage,
    private readonly prefix = 'peerkeys:',
  ) {}
  get(key: string): string | null {
    return this.storage.getItem(this.prefix + key);
  }
  set(key: string, value: string): void {
    this.storage.setItem(this.prefix + key, value);
  }
}
