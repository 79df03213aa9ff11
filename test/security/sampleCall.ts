import type { CallOutput } from '../../machines/callTypes.js';
import { placeScriptedCall, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import type { Conversation } from '../../src/leads/lead.js';
import { sampleConversation } from '../support/sharedTranscripts.js';

/** A public sample call (../shared/transcripts). */
export const sampleCall = (name = 'public-01.json'): Conversation =>
  sampleConversation(name);

/** Places the sample call end to end through the lab's real server (fast pacing); resolves with its outcome. */
export async function completeSampleCall(lab: VoiceLab, callSid: string): Promise<{ output: CallOutput; agentFrames: number }> {
  const call = sampleCall();
  const { output, caller } = await placeScriptedCall(lab, { callSid, from: call.callerPhone ?? '', script: scriptFromTranscript(call) });
  return { output, agentFrames: caller.received.media.length };
}
