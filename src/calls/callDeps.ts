import type { Logger } from '../log.js';
import type { SessionRepository } from '../db/sessionRepository.js';
import type { Extractor } from '../extraction/extractor.js';
import type { LeadIntake } from '../outbox/leadIntake.js';
import type { ModelConnector } from '../realtime/modelConnection.js';
import type { WaitKind } from './callWaits.js';
import type { CallAudioTap } from './relay.js';

/** Records calls (src/recordings/recordingArchive.ts): a tap for the relay, and the store once the call is over. */
export interface CallRecordings {
  begin(callSid: string): { tap: CallAudioTap; finish(): Promise<unknown> };
}

/** Ends a call through Twilio's REST API (only when credentials are configured). */
export interface CallControl {
  endCall(callSid: string): Promise<void>;
}

/** Everything a call's side effects need; built once by the app. */
export interface CallDeps {
  logger: Logger;
  connector: ModelConnector;
  extractor: Extractor;
  /** Where the call's lead goes: the one intake every channel uses. */
  intake: LeadIntake;
  /** The call's own session row (phase, transcript, heartbeat). */
  sessions: SessionRepository;
  callControl: CallControl | null;
  /** The session.update event (JSON) every call's model session starts with. */
  sessionUpdate: string;
  /** How often a live call touches its session row. */
  heartbeatMs: number;
  /** The instance running the calls, recorded on each call's session. */
  instanceId: string;
  /** States whose ZIP codes are refused (REFUSED_STATES): the live capture and the live reading check with them. */
  refusedStates?: readonly string[];
  /** Reports one of the waits (callWaits.ts) in ms, where it ends: for the `/metrics` histograms. */
  observeWait?: (kind: WaitKind, ms: number) => void;
  /** Records each call from its stream's start (RECORDING=on); absent: calls are not recorded. */
  recordings?: CallRecordings;
  /** The greeting's instructions (with the recording notice while calls are recorded). */
  greetingPrompt?: string;
}
