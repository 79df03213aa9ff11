import type { InspectionEvent } from 'xstate';
import { ConfigError } from '../config.js';
import { createLogger } from '../log.js';
import { stateName } from '../calls/stateName.js';
import { readVoiceState } from '../db/entities/sessionState.js';
import { LEAD_FIELDS } from '../leads/lead.js';
import { transportKind } from '../http/uws.js';
import { DEMO_CALLS, type DemoCall } from './demoCalls.js';
import { placeScriptedCall, startVoiceLab, type VoiceLab } from './voiceLab.js';
import { randomBytes } from 'node:crypto';

/**
 * `npm run demo`: the real server, with local fakes of OpenAI (Realtime + Chat Completions) and the NPA API, takes a
 * few scripted phone calls over real sockets and saves their leads in the embedded database (or DATABASE_URL).
 */
async function main(): Promise<void> {
  const out = (line = '') => process.stdout.write(`${line}\n`);
  const lastState = new Map<string, string>();
  const inspect = (event: InspectionEvent) => {
    if (event.type !== '@xstate.snapshot' || event.actorRef.sessionId !== event.rootId) return;
    const snapshot = event.snapshot as { value?: unknown; context?: { callSid?: string } };
    const callSid = snapshot.context?.callSid;
    if (callSid === undefined) return;
    const state = stateName(snapshot.value);
    if (lastState.get(callSid) === state) return;
    lastState.set(callSid, state);
    out(`    ${callSid.slice(-4)}  -> ${state}`);
  };

  const logger = createLogger(process.env.LOG_LEVEL ?? 'error');
  out('Starting the voice lead line with fake OpenAI and fake NPA servers...');
  const lab = await startVoiceLab({
    // The demo never reaches a paid service, whatever the environment says.
    env: {
      DATABASE_URL: process.env.DATABASE_URL,
      DATA_DIR: process.env.DATA_DIR ?? './data',
      LOG_LEVEL: process.env.LOG_LEVEL ?? 'error',
    },
    logger,
    overrides: { inspect },
  });
  out(`Server on ${lab.app.url} (database: ${lab.app.db.kind}; transport: ${transportKind}); fake OpenAI on ${lab.openai.httpUrl}; fake NPA on ${lab.npa.url}`);

  try {
    for (const call of DEMO_CALLS) {
      out();
      out(`Call ${call.callSid.slice(-4)}: ${call.title}`);
      const { output, caller } = await placeScriptedCall(lab, call);
      const heardMs = Math.round(caller.receivedBytes() / 8);
      const greeting = caller.timeToGreetingMs();
      out(`    outcome: ${output.outcome}${output.reason ? ` (${output.reason})` : ''}; the caller heard ${heardMs} ms of agent audio`);
      out(`    time to greeting: ${greeting === null ? 'no greeting heard' : `${greeting.toFixed(1)} ms`} (Twilio start to the first agent frame)`);
      const captured = readVoiceState((await lab.app.repos.sessions.getByKey(call.callSid))?.state).captured ?? {};
      const recorded = LEAD_FIELDS.flatMap((field) => {
        const entry = captured[field];
        return entry === undefined ? [] : [entry.attempts > 1 ? `${field} (${entry.attempts} tries)` : field];
      });
      out(`    recorded live: ${recorded.length > 0 ? recorded.join(', ') : 'nothing'}`);
      const recording = await lab.app.repos.recordings.forCall(call.callSid);
      out(
        `    call recording: ${recording === null ? 'none' : `${(recording.durationMs / 1000).toFixed(1)} s, ${recording.bytes} bytes, two channels (${recording.store}: ${recording.key})`}`,
      );
    }
    if (process.argv.includes('--console')) await serveConsole(lab, out);
  } finally {
    await lab.close();
  }
  out();
  out(`The fake NPA API received ${lab.npa.requests.length} lead(s).`);
  out('See the saved leads:');
  out('  npx leads succeeded list');
  out('  npx leads failed list');
  out('  npx leads failed show <id>   |   npx leads failed retry <id>');
  out('  npx leads recording <CallSid> --out call.wav   (what the caller heard: caller left, agent right)');
}

/**
 * `npm run demo -- --console`: the server stays up with a `demo` operator (a new password each run), and a demo
 * call is placed in real time every 20 s, so the console's live view always has a call moving. Ctrl-C stops it.
 */
async function serveConsole(lab: VoiceLab, out: (line?: string) => void): Promise<void> {
  const password = randomBytes(12).toString('base64url');
  await lab.app.operators.removeOperator('demo', 'demo').catch(() => undefined);
  await lab.app.operators.addOperator('demo', password, 'demo');
  out();
  out(`The operations console: ${lab.app.url}/admin   (operator: demo, password: ${password})`);
  out('A demo call is placed every 20 s, in real time. Ctrl-C stops the server.');
  lab.openai.setRealTime(true);
  let round = 0;
  let stopping = false;
  const stopped = new Promise<void>((resolve) => {
    process.once('SIGINT', () => {
      stopping = true;
      resolve();
    });
  });
  while (!stopping) {
    const call = DEMO_CALLS[round++ % DEMO_CALLS.length] as DemoCall;
    const callSid = `CAdemo${randomBytes(14).toString('hex')}`;
    const placed = placeScriptedCall(lab, { ...call, callSid, realTime: true }).then(
      ({ output }) => out(`    ${callSid.slice(-4)}: ${call.title}: ${output.outcome}`),
      (error: unknown) => out(`    ${callSid.slice(-4)}: failed: ${error instanceof Error ? error.message : String(error)}`),
    );
    await Promise.race([Promise.all([placed, new Promise((resolve) => setTimeout(resolve, 20_000))]), stopped]);
  }
}

main().catch((error: unknown) => {
  if (error instanceof ConfigError) {
    process.stderr.write(`${error.message}\n`);
    process.exit(2);
  }
  process.stderr.write(`demo failed: ${error instanceof Error ? (error.stack ?? error.message) : String(error)}\n`);
  process.exit(1);
});
