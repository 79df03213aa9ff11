import type { CallOutput } from '../../machines/callTypes.js';
import { bootstrap, type App, type AppOverrides } from '../app.js';
import { parseConfig, type Config } from '../config.js';
import type { Logger } from '../log.js';
import type { Call } from '../calls/call.js';
import { startFakeNpa, type FakeNpa } from '../fakes/fakeNpa.js';
import { chatResponderFromExtractor, startFakeOpenAI, type FakeOpenAI, type FakeOpenAIOptions, type Script } from '../fakes/fakeOpenAI.js';
import { FakeTwilioCaller } from '../fakes/fakeTwilioCaller.js';
import { extractOffline } from '../extraction/offline/extractOffline.js';
import { ROUTES } from '../http/routes.js';

export const LAB_NPA_USERNAME = 'lab';
export const LAB_NPA_PASSWORD = 'lab-secret';
export const LAB_OPENAI_KEY = 'sk-lab';

/** The real server wired to local fakes of every paid service: the demo's stage and the end-to-end tests' bench. */
export interface VoiceLab {
  readonly app: App;
  readonly openai: FakeOpenAI;
  readonly npa: FakeNpa;
  readonly config: Config;
  /** Resolves with the call's outcome once its lead is saved. */
  outcomeOf(callSid: string): Promise<CallOutput>;
  /** Posts Twilio's voice webhook as Twilio would; returns the TwiML. */
  webhook(callSid: string, from: string, headers?: Record<string, string>): Promise<{ status: number; body: string }>;
  /** Opens the media stream as Twilio would after the webhook's TwiML. */
  connectCaller(callSid: string, from: string, options?: { realTime?: boolean; headers?: Record<string, string> }): Promise<FakeTwilioCaller>;
  close(): Promise<void>;
}

export interface VoiceLabOptions {
  /** Environment entries on top of the lab's own (DATABASE_URL, timeouts...). */
  env?: Record<string, string | undefined>;
  logger: Logger;
  openai?: FakeOpenAIOptions;
  overrides?: AppOverrides;
}

/** Starts the fakes and the real server on free ports. */
export async function startVoiceLab(options: VoiceLabOptions): Promise<VoiceLab> {
  // The fake "LLM" reads transcripts with the offline extractor, so the demo's leads are plausible.
  const openai = await startFakeOpenAI({
    apiKey: LAB_OPENAI_KEY,
    chatResponder: chatResponderFromExtractor(extractOffline),
    ...options.openai,
  });
  const npa = await startFakeNpa({ username: LAB_NPA_USERNAME, password: LAB_NPA_PASSWORD });
  const config = parseConfig({
    PORT: '0',
    HOST: '127.0.0.1',
    OPENAI_API_KEY: LAB_OPENAI_KEY,
    OPENAI_BASE_URL: openai.httpUrl,
    OPENAI_REALTIME_URL: openai.realtimeUrl,
    NPA_API_URL: npa.url,
    NPA_API_USERNAME: LAB_NPA_USERNAME,
    NPA_API_PASSWORD: LAB_NPA_PASSWORD,
    ...options.env,
  });
  const outcomes = new Map<string, { promise: Promise<CallOutput>; resolve: (o: CallOutput) => void }>();
  const slot = (callSid: string) => {
    let entry = outcomes.get(callSid);
    if (entry === undefined) {
      let resolve!: (o: CallOutput) => void;
      const promise = new Promise<CallOutput>((r) => {
        resolve = r;
      });
      entry = { promise, resolve };
      outcomes.set(callSid, entry);
    }
    return entry;
  };
  let app: App;
  try {
    app = await bootstrap(config, options.logger, {
      callControl: null,
      ...options.overrides,
      onCallDone: (call: Call, output: CallOutput) => {
        slot(call.callSid).resolve(output);
        options.overrides?.onCallDone?.(call, output);
      },
    });
  } catch (error) {
    await Promise.all([openai.close(), npa.close()]);
    throw error;
  }

  return {
    app,
    openai,
    npa,
    config,
    outcomeOf: (callSid) => slot(callSid).promise,
    async webhook(callSid, from, headers = {}) {
      const response = await fetch(`${app.url}${ROUTES.voiceWebhook}`, {
        method: 'POST',
        headers: { 'content-type': 'application/x-www-form-urlencoded', ...headers },
        body: new URLSearchParams({ CallSid: callSid, From: from, To: '+18005550100', AccountSid: 'AC_lab' }),
      });
      return { status: response.status, body: await response.text() };
    },
    connectCaller(callSid, from, callerOptions = {}) {
      return FakeTwilioCaller.connect({
        url: `ws://127.0.0.1:${app.port}${ROUTES.stream}`,
        callSid,
        from,
        realTime: callerOptions.realTime ?? false,
        ...(callerOptions.headers ? { headers: callerOptions.headers } : {}),
      });
    },
    async close() {
      await app.close(5_000);
      await Promise.all([openai.close(), npa.close()]);
    },
  };
}

/** Places one scripted call end to end: webhook, media stream, the conversation, until the lead is saved. */
export async function placeScriptedCall(
  lab: VoiceLab,
  call: { callSid: string; from: string; script: Script; realTime?: boolean },
): Promise<{ output: CallOutput; caller: FakeTwilioCaller; twiml: string }> {
  lab.openai.enqueueScript(call.script);
  const connectionIndex = lab.openai.connections.length;
  const { body: twiml } = await lab.webhook(call.callSid, call.from);
  const caller = await lab.connectCaller(call.callSid, call.from, { realTime: call.realTime ?? false });
  caller.startStreaming();
  const hangUpCue = call.script.some((step) => 'callerHangsUp' in step);
  if (hangUpCue) {
    // The caller hangs up once the fake model reaches the cue (the last caller words have been transcribed).
    void lab.openai
      .waitForConnection(connectionIndex)
      .then((connection) => new Promise<void>((resolve) => connection.cues.once('callerHangsUp', resolve)))
      .then(() => caller.hangUp())
      .catch(() => caller.terminate());
  }
  const output = await lab.outcomeOf(call.callSid);
  caller.stopStreaming();
  return { output, caller, twiml };
}
