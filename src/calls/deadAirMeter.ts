/** Silence longer than this, with neither the agent's audio playing nor the caller speaking, is dead air. */
export const DEAD_AIR_THRESHOLD_MS = 3000;

export interface DeadAir {
  count: number;
  longestMs: number;
}

/**
 * Dead air from the events the relay already sees: the caller speaks between the model's speech_started and
 * speech_stopped; the agent's audio plays from the frame sent until its audio length later (8 kHz mu-law: 8 bytes a
 * ms), queued after what is still playing, and stops at a barge-in's clear. A silence counts when activity ends it;
 * the silence before the hang-up does not (nobody was waiting for anything). Times are in ms, one clock.
 */
export class DeadAirMeter {
  private quietSince: number | null = null;
  private callerSpeaking = false;
  private agentPlayingUntil = 0;
  private count = 0;
  private longestMs = 0;

  constructor(private readonly thresholdMs = DEAD_AIR_THRESHOLD_MS) {}

  /** The conversation can go quiet from here (the stream attached). */
  start(at: number): void {
    this.quietSince ??= at;
  }

  /** Agent audio of `audioMs` left for Twilio at `at`. */
  agentAudio(at: number, audioMs: number): void {
    this.activity(at);
    this.agentPlayingUntil = Math.max(this.agentPlayingUntil, at) + audioMs;
    this.quietSince = this.callerSpeaking ? null : this.agentPlayingUntil;
  }

  /** The agent's audio was cleared (barge-in): it stops playing now. */
  agentCleared(at: number): void {
    this.agentPlayingUntil = Math.min(this.agentPlayingUntil, at);
  }

  callerSpeechStarted(at: number): void {
    this.activity(at);
    this.callerSpeaking = true;
    this.quietSince = null;
  }

  callerSpeechStopped(at: number): void {
    if (!this.callerSpeaking) return;
    this.callerSpeaking = false;
    this.quietSince = Math.max(at, this.agentPlayingUntil);
  }

  /** The count of silences over the threshold, and the longest of them (0 when none). */
  result(): DeadAir {
    return { count: this.count, longestMs: this.longestMs };
  }

  private activity(at: number): void {
    if (this.quietSince === null || this.callerSpeaking) return;
    const gap = at - this.quietSince;
    if (gap > this.thresholdMs) {
      this.count++;
      this.longestMs = Math.max(this.longestMs, Math.round(gap));
    }
  }
}
