/**
 * The secure channel after a handshake: each frame is NaCl secretbox (XSalsa20-Poly1305) under a
 * per-direction session key derived from the ephemeral X25519 keys, with the frame counter as the
 * nonce. The receiver accepts only the next counter, so a replayed, dropped, reordered or altered
 * frame is refused, and the channel closes on the first bad frame (fail closed). The ephemeral
 * secrets are gone once the keys are derived: later theft of long-term keys reveals no traffic.
 */
import nacl from 'tweetnacl';
import { fromBase64Url, fromUtf8, toBase64Url, utf8 } from '../../protocol/encoding.js';
import { canonicalJson, parseJson, type JsonValue } from '../../protocol/json.js';
import { HandshakeError } from './errors.js';
import { frameSchema } from './messages.js';
import type { HandshakeTransport } from './transport.js';

function frameNonce(seq: number): Uint8Array {
  const nonce = new Uint8Array(nacl.secretbox.nonceLength);
  new DataView(nonce.buffer).setBigUint64(16, BigInt(seq));
  return nonce;
}

export class SecureChannel {
  private sendSeq = 0;
  private receiveSeq = 0;
  private closed = false;
  private readonly listeners = new Set<(payload: JsonValue) => void>();
  private readonly errorListeners = new Set<(error: HandshakeError) => void>();
  private readonly unsubscribe: () => void;

  constructor(
    private readonly transport: HandshakeTransport,
    private readonly sendKey: Uint8Array,
    private readonly receiveKey: Uint8Array,
    /** Messages that arrived before the channel existed, delivered first. */
    private readonly pending: unknown[] = [],
  ) {
    this.unsubscribe = transport.onMessage((message) => this.receive(message));
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
    for (const message of this.pending.splice(0)) this.receive(message);
    return () => this.listeners.delete(listener);
  }

  /** Calls `listener` when the channel refuses a frame (and closes). */
  onError(listener: (error: HandshakeError) => void): () => void {
    this.errorListeners.add(listener);
    return () => this.errorListeners.delete(listener);
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    this.unsubscribe();
    this.transport.close();
  }

  get isClosed(): boolean {
    return this.closed;
  }

  private fail(error: HandshakeError): void {
    this.close();
    for (const listener of this.errorListeners) listener(error);
  }

  private receive(message: unknown): void {
    if (this.closed) return;
    if (this.listeners.size === 0) {
      this.pending.push(message); // kept, in order, until someone listens
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
