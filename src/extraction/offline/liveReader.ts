import type { ExtractionResult, Turn } from '../../leads/lead.js';
import { leadOfReading, readTurn, startReading, type OfflineReading } from './offlineReading.js';

/**
 * Reads a call while it goes: `update(turns)` returns what `extractOffline({ callerPhone, turns })` returns,
 * but reads only the turns from the first one that differs from the last update on (the reading after every
 * earlier turn is kept). Appends cost one turn each; a late transcription of an earlier turn costs the turns
 * from it to the end. `now` is fixed when the reader is made (it bounds the model year).
 */
export class LiveReader {
  /** readings[i] is the reading after the first i turns; readings[0] is the empty one. */
  private readonly readings: OfflineReading[] = [startReading()];
  private readonly seen: Turn[] = [];
  private read = 0;

  constructor(
    private readonly callerPhone: string | null,
    private readonly now: Date = new Date(),
    /** States whose ZIP codes are refused (REFUSED_STATES); default AK, HI. */
    private readonly refusedStates?: readonly string[],
  ) {}

  /** Turns read so far over all updates: the reader's work, for tests and benchmarks. */
  get turnsRead(): number {
    return this.read;
  }

  update(turns: readonly Turn[]): ExtractionResult {
    let same = 0;
    const common = Math.min(turns.length, this.seen.length);
    while (same < common) {
      const a = turns[same];
      const b = this.seen[same];
      if (a === undefined || b === undefined || a.role !== b.role || a.text !== b.text) break;
      same += 1;
    }
    this.seen.length = same;
    this.readings.length = same + 1;
    let reading = this.readings[same] ?? startReading();
    for (let i = same; i < turns.length; i++) {
      const turn = turns[i];
      if (turn === undefined) continue;
      // Copies, so a caller changing its array or turn objects later cannot change what was read.
      this.seen.push({ role: turn.role, text: turn.text });
      reading = readTurn(reading, turn, this.now);
      this.readings.push(reading);
      this.read += 1;
    }
    return leadOfReading(reading, this.callerPhone, this.now, this.refusedStates);
  }
}
