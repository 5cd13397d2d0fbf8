import { BoundedQueue, type QueueLimits } from './bounded-queue.js';
import { HandshakeError } from './errors.js';

/**
 * What the handshake needs from a connection: send a JSON message, be told of incoming ones,
 * close. Socket.io, a WebSocket, a WebRTC data channel or a test's in-memory pipe all fit.
 */
export interface HandshakeTransport {
  send(message: unknown): void;
  /** Registers a listener; returns a function that removes it. */
  onMessage(listener: (message: unknown) => void): () => void;
  close(): void;
}

/** The part of a socket.io socket (server or client side) the adapters use. */
export interface SocketLike {
  emit(event: string, ...args: unknown[]): unknown;
  on(event: string, listener: (...args: any[]) => void): unknown;
  off(event: string, listener: (...args: any[]) => void): unknown;
  disconnect(...args: unknown[]): unknown;
}

/**
 * How long `close()` on a socket.io transport waits before hanging up. A socket.io server hands
 * an event to its listeners on the next tick and drops it if a disconnect arrived in the same
 * read, so disconnecting right after the last message — an abort that tells the peer of a relay,
 * say — would lose that message whenever the two travel together.
 */
const SOCKET_CLOSE_GRACE_MS = 1000;

/** A transport over one socket.io event name on a socket (either side). */
export function socketTransport(socket: SocketLike, event = 'peerkeys'): HandshakeTransport {
  return {
    send: (message) => void socket.emit(event, message),
    onMessage(listener) {
      const handler = (message: unknown) => listener(message);
      socket.on(event, handler);
      return () => void socket.off(event, handler);
    },
    close() {
      const timer: { unref?: () => void } | number = setTimeout(() => socket.disconnect(), SOCKET_CLOSE_GRACE_MS);
      // Node: a pending hang-up must not keep the process alive; exiting closes the socket anyway.
      if (typeof timer === 'object') timer.unref?.();
    },
  };
}

/**
 * What the inbox keeps unread during a handshake: a handshake needs one message at a time, plus the
 * first channel frames that may arrive just before the channel takes over (a frame may be up to
 * 1.4 MB). A peer that sends more while this side is busy (checking its keys with a registry, say)
 * is dropped with FLOODED.
 */
export const INBOX_LIMITS: QueueLimits = Object.freeze({ messages: 32, bytes: 4 * 1024 * 1024 });

/**
 * Buffers a transport's messages from the moment the handshake starts, so none is lost between
 * one step's listener and the next, or between the handshake and the channel taking over. What it
 * keeps is bounded (INBOX_LIMITS): past that, the peer is flooding, and every later read fails.
 */
export class Inbox {
  private readonly queue = new BoundedQueue(INBOX_LIMITS);
  private waiting: ((message: unknown) => void) | null = null;
  private flooded: HandshakeError | null = null;
  private readonly unsubscribe: () => void;

  constructor(transport: HandshakeTransport) {
    this.unsubscribe = transport.onMessage((message) => {
      if (this.waiting !== null) {
        const deliver = this.waiting;
        this.waiting = null;
        deliver(message);
      } else if (this.flooded === null && !this.queue.push(message)) {
        this.flooded = new HandshakeError(
          'FLOODED',
          `the peer sent more than ${INBOX_LIMITS.messages} messages or ${INBOX_LIMITS.bytes} bytes that this side had not yet read`,
        );
        this.queue.drain(); // nothing of a flooding peer's is kept, or read
      }
    });
  }

  /** The next message, or a rejection after `timeoutMs`, or at once when the peer flooded. */
  next(timeoutMs: number, onTimeout: () => Error): Promise<unknown> {
    if (this.flooded !== null) return Promise.reject(this.flooded);
    if (this.queue.length > 0) return Promise.resolve(this.queue.shift());
    return new Promise((resolve, reject) => {
      const timer = setTimeout(() => {
        this.waiting = null;
        reject(onTimeout());
      }, timeoutMs);
      this.waiting = (message) => {
        clearTimeout(timer);
        resolve(message);
      };
    });
  }

  /** Stops buffering and returns what arrived but was not read; throws FLOODED if the peer flooded. */
  handOver(): unknown[] {
    this.unsubscribe();
    if (this.flooded !== null) throw this.flooded;
    return this.queue.drain();
  }

  /** Stops buffering and forgets what was not read (a failed handshake). */
  close(): void {
    this.unsubscribe();
    this.queue.drain();
  }
}
