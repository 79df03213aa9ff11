/**
 * Decides how much of the agent's audio the caller has actually heard, for barge-in truncation.
 *
 * Audio is mu-law 8 kHz: 8 bytes per millisecond. The relay reports each chunk it sends to Twilio; the tracker asks
 * for a Twilio `mark` after a chunk every MARK_INTERVAL_MS of audio and at item boundaries (not after every delta),
 * and Twilio echoes a mark once the audio before it has played. What was heard is the audio up to the last echoed
 * mark plus the wall-clock time since that echo, capped by the next mark not yet echoed and by the audio sent.
 * Pure: the clock is injected.
 */

export const PCMU_BYTES_PER_MS = 8;
export const MARK_INTERVAL_MS = 100;

export interface PlaybackTrackerOptions {
  now: () => number;
  markIntervalMs?: number;
}

/** What an echoed mark tells the relay. `final` is the mark sent by onAudioDone: the item has finished playing. */
export interface MarkEcho {
  itemId: string;
  final: boolean;
}

export interface Truncation {
  itemId: string;
  audioEndMs: number;
}

interface PendingMark {
  name: string;
  itemId: string;
  /** Bytes of the item sent before this mark. */
  atBytes: number;
  final: boolean;
}

interface CurrentItem {
  id: string;
  sentBytes: number;
  /** Bytes at the last mark asked for (progress or final). */
  lastMarkBytes: number;
  done: boolean;
  /** Fully played: its final mark came back. */
  played: boolean;
  /** Known playback position: `bytes` were heard at time `at`. Null until the item is known to be playing. */
  anchor: { bytes: number; at: number } | null;
}

export class PlaybackTracker {
  private readonly now: () => number;
  private readonly markIntervalBytes: number;
  private current: CurrentItem | null = null;
  /** Marks sent and not echoed yet, in send order (Twilio echoes in order). */
  private pending: PendingMark[] = [];
  private seq = 0;
  /** Items cut by barge-in: their late events must not start playback tracking again. */
  private readonly interrupted = new Set<string>();

  constructor(options: PlaybackTrackerOptions) {
    this.now = options.now;
    this.markIntervalBytes = (options.markIntervalMs ?? MARK_INTERVAL_MS) * PCMU_BYTES_PER_MS;
  }

  /**
   * The relay sent `byteLength` bytes of `itemId` to Twilio. Returns a mark name to send right after the chunk when
   * one is due (the first chunk of an item, then every markIntervalMs of audio).
   */
  onAudioSent(itemId: string, byteLength: number): { mark?: string } {
    if (byteLength <= 0 || this.interrupted.has(itemId)) return {};
    const item = this.itemFor(itemId);
    const first = item.sentBytes === 0;
    item.sentBytes += byteLength;
    item.played = false;
    if (first || item.sentBytes - item.lastMarkBytes >= this.markIntervalBytes) {
      return { mark: this.addMark(item, false) };
    }
    return {};
  }

  /**
   * The item's audio is complete (response.output_audio.done). Returns the final mark to send after it; its echo
   * (onMarkEchoed -> final) means the caller has heard the whole item, e.g. the goodbye. Null when the item was
   * interrupted by barge-in: nothing more of it will play.
   */
  onAudioDone(itemId: string): string | null {
    if (this.interrupted.has(itemId)) return null;
    // An item with no audio sent (or one that never reached us) ends when what is queued now has played.
    const item = this.itemFor(itemId);
    item.done = true;
    return this.addMark(item, true);
  }

  /** Twilio echoed a mark. Returns which item it belonged to, or null for marks we no longer track (after a clear). */
  onMarkEchoed(name: string): MarkEcho | null {
    const index = this.pending.findIndex((m) => m.name === name);
    if (index < 0) return null;
    const mark = this.pending[index] as PendingMark;
    // Twilio plays in order: marks before this one have played too.
    this.pending.splice(0, index + 1);
    const item = this.current;
    const at = this.now();
    if (item !== null) {
      if (mark.itemId === item.id) {
        item.anchor = { bytes: mark.atBytes, at };
        if (mark.final) item.played = true;
      } else if (item.anchor === null && !this.pending.some((m) => m.itemId !== item.id)) {
        // The audio queued ahead of the current item has played: the current item starts now.
        item.anchor = { bytes: 0, at };
      }
    }
    return { itemId: mark.itemId, final: mark.final };
  }

  /** Milliseconds of `itemId` the caller has heard: never negative, never past the audio sent. */
  heardMs(itemId: string): number {
    const item = this.current;
    if (item === null || item.id !== itemId) return 0;
    return Math.floor(this.heardBytes(item) / PCMU_BYTES_PER_MS);
  }

  /** Whether audio sent to Twilio may still be playing (marks outstanding, or sent audio not yet heard). */
  isPlaying(): boolean {
    if (this.pending.length > 0) return true;
    const item = this.current;
    return item !== null && !item.played && this.heardBytes(item) < item.sentBytes;
  }

  /**
   * The caller started speaking. Returns the truncation for the current item (null when nothing of it was sent or
   * it has fully played) and forgets all playback state: the relay then sends Twilio `clear` (whose mark echoes are
   * ignored) and `conversation.item.truncate`.
   */
  onBargeIn(): Truncation | null {
    const item = this.current;
    let truncation: Truncation | null = null;
    if (item !== null && item.sentBytes > 0 && !item.played) {
      truncation = { itemId: item.id, audioEndMs: Math.floor(this.heardBytes(item) / PCMU_BYTES_PER_MS) };
      this.interrupted.add(item.id);
      // Bounded memory: only recent items can still produce late events.
      if (this.interrupted.size > 16) {
        const oldest = this.interrupted.values().next().value;
        if (oldest !== undefined) this.interrupted.delete(oldest);
      }
    }
    this.current = null;
    this.pending = [];
    return truncation;
  }

  /**
   * The tracked item `itemId`, starting it when it is new. If Twilio has nothing queued, a new item starts playing
   * now; otherwise once what is queued has played.
   */
  private itemFor(itemId: string): CurrentItem {
    const current = this.current;
    if (current !== null && current.id === itemId) return current;
    const item: CurrentItem = {
      id: itemId,
      sentBytes: 0,
      lastMarkBytes: 0,
      done: false,
      played: false,
      anchor: this.pending.length === 0 ? { bytes: 0, at: this.now() } : null,
    };
    this.current = item;
    return item;
  }

  private addMark(item: CurrentItem, final: boolean): string {
    this.seq += 1;
    const name = `${final ? 'e' : 'p'}${this.seq}`;
    item.lastMarkBytes = item.sentBytes;
    this.pending.push({ name, itemId: item.id, atBytes: item.sentBytes, final });
    return name;
  }

  private heardBytes(item: CurrentItem): number {
    if (item.played) return item.sentBytes;
    if (item.anchor === null) return 0;
    const elapsedMs = Math.max(0, this.now() - item.anchor.at);
    let heard = item.anchor.bytes + Math.floor(elapsedMs * PCMU_BYTES_PER_MS);
    // Not past the next mark of this item that has not come back: the audio before it has not all played.
    const next = this.pending.find((m) => m.itemId === item.id);
    if (next !== undefined && heard > next.atBytes) heard = next.atBytes;
    if (heard > item.sentBytes) heard = item.sentBytes;
    return Math.max(0, heard);
  }
}
