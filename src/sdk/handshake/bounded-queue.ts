/**
 * A queue of messages a peer sent that nobody has read yet, bounded in count and size: the peer
 * decides how much it sends, so what is kept for it must have a ceiling, or it could make this
 * side hold any amount of memory (security issue part 7).
 */

/** How much unread input is kept: at most `messages` messages of at most `bytes` in all. */
export interface QueueLimits {
  readonly messages: number;
  readonly bytes: number;
}

/**
 * The size a message counts for: the length of its JSON text, which is what crossed the wire on
 * every transport the handshake runs over. A message that has no JSON text (not from a wire) is
 * counted as too large to keep.
 */
export function messageSize(message: unknown): number {
  try {
    return JSON.stringify(message)?.length ?? 0;
  } catch {
    return Number.POSITIVE_INFINITY;
  }
}

export class BoundedQueue {
  private readonly items: Array<{ message: unknown; size: number }> = [];
  private bytes = 0;

  constructor(readonly limits: QueueLimits) {}

  /** Appends `message`, or returns false (keeping nothing of it) when the limits would be passed. */
  push(message: unknown): boolean {
    const size = messageSize(message);
    if (this.items.length + 1 > this.limits.messages || this.bytes + size > this.limits.bytes) return false;
    this.items.push({ message, size });
    this.bytes += size;
    return true;
  }

  get length(): number {
    return this.items.length;
  }

  /** The oldest message, removed; undefined when empty. */
  shift(): unknown {
    const item = this.items.shift();
    if (item !== undefined) this.bytes -= item.size;
    return item?.message;
  }

  /** Every message, oldest first, leaving the queue empty. */
  drain(): unknown[] {
    this.bytes = 0;
    return this.items.splice(0).map((item) => item.message);
  }
}
