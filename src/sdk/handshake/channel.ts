/**
 * The secure channel after a handshake: each frame is NaCl secretbox (XSalsa20-Poly1305) under a
 * per-direction session key derived from the ephemeral X25519 keys, with the frame counter as the
 * nonce. The receiver accepts only the next counter, so a replayed, dropped, reordered or altered
 * frame is refused, and the channel closes on the first bad frame (fail closed). The ephemeral
 * secrets are gone once the keys are derived: later theft of long-term keys reveals no traffic.
 * Frames that arrive before anyone listens are kept, up to CHANNEL_PENDING_LIMITS: past that the
 * peer is flooding, and the channel closes with FLOODED.
 */
import nacl from 'tweetnacl';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../protocol/encoding.js';
import { canonicalJson, parseJson, type JsonValue } from '../../protocol/json.js';
import { BoundedQueue, type QueueLimits } from './bounded-queue.js';
import { HandshakeError } from './errors.js';
import { frameSchema } from './messages.js';
import type { HandshakeTransport } from './transport.js';

function frameNonce(seq: number): Uint8Array {
  const nonce = new Uint8Array(nacl.secretbox.nonceLength);
  new DataView(nonce.buffer).setBigUint64(16, BigInt(seq));
  return nonce;
}

/**
 * What a channel keeps of the frames that arrive before anyone listens (`onMessage`): 256 frames
 * or 16 MiB of JSON, whichever comes first. Attach a listener as soon as the handshake resolves.
 */
export const CHANNEL_PENDING_LIMITS: QueueLimits = Object.freeze({ messages: 256, bytes: 16 * 1024 * 1024 });

export class SecureChannel {
  private sendSeq = 0;
  private receiveSeq = 0;
  private closed = false;
  private failure: HandshakeError | null = null;
  private readonly pending = new BoundedQueue(CHANNEL_PENDING_LIMITS);
  private readonly listeners = new Set<(payload: JsonValue) => void>();
  private readonly errorListeners = new Set<(error: HandshakeError) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly transport: HandshakeTransport,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
    /** Messages that arrived before the channel existed, delivered first. */
    pending: unknown[] = [],
  ) {
    this.unsubscribe = transport.onMessage((message) => this.receive(message));
    for (const message of pending) this.receive(message);
  }

  /** Sends a JSON payload to the peer, encrypted and numbered. */
  send(payload: JsonValue): void {
    if (this.closed) throw new HandshakeError('CLOSED', 'the channel is closed');
    const seq = this.sendSeq++;
    const box = nacl.secretbox(utf8(canonicalJson(payload)), frameNonce(seq), this.sendKey);
    this.transport.send({ type: 'peerkeys/frame', seq, box: toBase64Url(box) });
  }

  /** Calls `listener` with each payload the peer sends, in order. */
  onMessage(listener: (payload: JsonValue) => void): () => void {
    this.listeners.add(listener);
    // Frames that came before anyone listened are delivered to the first listener.
    for (const message of this.pending.drain()) this.receive(message);
    return () => this.listeners.delete(listener);
  }

  /**
   * Calls `listener` when the channel refuses a frame or a flood (and closes). A listener added
   * after that is called at once (in a microtask) with the error that closed the channel.
   */
  onError(listener: (error: HandshakeError) => void): () => void {
    this.errorListeners.add(listener);
    const failure = this.failure;
    if (failure !== null) queueMicrotask(() => listener(failure));
    return () => this.errorListeners.delete(listener);
  }

  /** The error that closed the channel, or null while it is open or after a plain close(). */
  get error(): HandshakeError | null {
    return this.failure;
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.pending.drain(); // unread frames of a closed channel are never delivered
    this.unsubscribe();
    this.transport.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private fail(error: HandshakeError): void {
    this.failure = error;
    this.close();
    for (const listener of this.errorListeners) listener(error);
  }

  private receive(message: unknown): void {
    if (this.closed) return;
    if (this.listeners.size === 0) {
      // Kept, in order, until someone listens: within limits, for the peer decides how much it sends.
      if (!this.pending.push(message)) {
        this.fail(new HandshakeError('FLOODED', `the peer sent more than ${CHANNEL_PENDING_LIMITS.messages} frames or ${CHANNEL_PENDING_LIMITS.bytes} bytes before anyone listened`));
      }
      return;
    }
    const frame = frameSchema.safeParse(message);
    if (!frame.success) return this.fail(new HandshakeError('BAD_FRAME', 'a message on the channel is not a frame'));
    const { seq } = frame.data;
    if (seq < this.receiveSeq) return this.fail(new HandshakeError('REPLAYED_FRAME', `frame ${seq} was received before`));
    if (seq > this.receiveSeq) return this.fail(new HandshakeError('REORDERED_FRAME', `frame ${seq} arrived before frame ${this.receiveSeq}`));
    const box = fromBase64Url(frame.data.box);
    const opened = box === null ? null : nacl.secretbox.open(box, frameNonce(seq), this.receiveKey);
    const text = opened === null ? null : fromUtf8(opened);
    if (text === null) return this.fail(new HandshakeError('BAD_FRAME', `frame ${seq} does not open: altered in transit`));
    let payload: JsonValue;
    try {
      payload = parseJson(text);
    } catch {
      return this.fail(new HandshakeError('BAD_FRAME', `frame ${seq} is not JSON`));
    }
    this.receiveSeq++;
    for (const listener of this.listeners) listener(payload);
  }
}
