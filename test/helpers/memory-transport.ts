/** Two handshake transports joined in memory, with a tap to watch, drop or rewrite messages. */
import type { HandshakeTransport } from '../../src/sdk/handshake/transport.js';

export type Tap = (message: unknown, direction: 'a→b' | 'b→a') => unknown[]; // what to deliver instead

export function transportPair(tap: Tap = (m) => [m]): { a: HandshakeTransport; b: HandshakeTransport; log: Array<{ direction: string; message: unknown }> } {
  const listeners = { a: new Set<(m: unknown) => void>(), b: new Set<(m: unknown) => void>() };
  const log: Array<{ direction: string; message: unknown }> = [];
  const make = (self: 'a' | 'b'): HandshakeTransport => {
    const other = self === 'a' ? 'b' : 'a';
    const direction = self === 'a' ? 'a→b' : 'b→a';
    return {
      send(message) {
        const copy = JSON.parse(JSON.stringify(message));
        log.push({ direction, message: copy });
        for (const delivered of tap(copy, direction)) queueMicrotask(() => listeners[other].forEach((l) => l(delivered)));
      },
      onMessage(listener) {
        listeners[self].add(listener);
        return () => listeners[self].delete(listener);
      },
      close() {},
    };
  };
  return { a: make('a'), b: make('b'), log };
}
