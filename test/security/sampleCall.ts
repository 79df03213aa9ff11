import { readFileSync } from 'node:fs';
import type { CallOutput } from '../../machines/callTypes.js';
import { placeScriptedCall, type VoiceLab } from '../../src/demo/voiceLab.js';
import { scriptFromTranscript } from '../../src/fakes/fakeOpenAI.js';
import { ConversationSchema, type Conversation } from '../../src/leads/lead.js';

/** A public sample call (../shared/transcripts). */
export const sampleCall = (name = 'public-01.json'): Conversation =>
  ConversationSchema.parse(JSON.parse(readFileSync(new URL(`../../../shared/transcripts/${name}`, import.meta.url), 'utf8')));

/** Places the sample call end to end through the lab's real server (fast pacing); resolves with its outcome. */
export async function completeSampleCall(lab: VoiceLab, callSid: string): Promise<{ output: CallOutput; agentFrames: number }> {
  const call = sampleCall();
  const { output, caller } = await placeScriptedCall(lab, { callSid, from: call.callerPhone ?? '', script: scriptFromTranscript(call) });
  return { output, agentFrames: caller.received.media.length };
}
