import { parseArgs } from 'node:util';
import { readVoiceState, type CallQuality } from '../db/entities/sessionState.js';
import type { SessionRecord } from '../db/sessionRepository.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { echo } from './echo.js';
import { withRepositories } from './withRepositories.js';
import { recordingLink, type RecordingLink } from '../db/recordingRepository.js';
import { describeRecordings } from './recordingLinks.js';

const USAGE_SHOW = 'usage: leads sessions show CALLSID [--json]';

/** `leads sessions show CALLSID [--json]`: one call's session, its phase, outcome, timings and quality record. */
export async function sessionsCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  if (sub !== 'show') throw new CliError(USAGE_SHOW, EXIT.USAGE);
  const { values, positionals } = parseArgs({ args: rest, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  const [key, ...extra] = positionals;
  if (key === undefined || extra.length > 0) throw new CliError(USAGE_SHOW, EXIT.USAGE);
  const found = await withRepositories(ctx, async (repos) => {
    const row = await repos.sessions.getByKey(key);
    return row && { row, recordings: (await repos.recordings.forSessions([row.id])).get(row.id) ?? [] };
  });
  if (found === null) throw new CliError(`no session with key ${echo(key)}`, EXIT.NOT_FOUND);
  const view = sessionView(found.row, found.recordings.map(recordingLink));
  ctx.io.out(values.json ? JSON.stringify(view, null, 2) : describe(view));
  return EXIT.OK;
}

/** What `show` prints: no transcript and no caller details, only how the call went. */
export interface SessionView {
  sessionKey: string;
  channel: string;
  phase: string | null;
  outcome: string | null;
  endReason: string | null;
  timings: Record<string, string>;
  quality: CallQuality | null;
  /** The call's stored recordings (the conversation, a voicemail). */
  recordings: RecordingLink[];
  createdAt: string;
  updatedAt: string;
}

function sessionView(row: SessionRecord, recordings: RecordingLink[]): SessionView {
  const state = readVoiceState(row.state);
  return {
    sessionKey: row.sessionKey,
    channel: row.channel,
    phase: state.phase ?? null,
    outcome: state.outcome ?? null,
    endReason: state.endReason ?? null,
    timings: state.timings ?? {},
    quality: state.quality ?? null,
    recordings,
    createdAt: row.createdAt.toISOString(),
    updatedAt: row.updatedAt.toISOString(),
  };
}

const ms = (value: number | null): string => (value === null ? '-' : `${value} ms`);

function describe(view: SessionView): string {
  const q = view.quality;
  const pairs: [string, string][] = [
    ['session', view.sessionKey],
    ['channel', view.channel],
    ['phase', view.phase ?? '-'],
    ['outcome', view.outcome ?? '-'],
    ['end reason', view.endReason ?? '-'],
    ['recordings', describeRecordings(view.recordings)],
    ...Object.entries(view.timings).map(([phase, at]): [string, string] => [`at ${phase}`, at]),
  ];
  if (q === null) {
    pairs.push(['quality', '- (written when the call ends)']);
  } else {
    pairs.push(
      ['duration', ms(q.durationMs)],
      ['turns', `agent ${q.turns.agent}, caller ${q.turns.caller}`],
      ['barge-ins', String(q.bargeIns)],
      ['dead air', `${q.deadAir.count} over ${q.deadAir.thresholdMs} ms, longest ${q.deadAir.longestMs} ms`],
      ['greeting', ms(q.waits.greetingMs)],
      ['responses', list(q.waits.responseMs)],
      ['  relay part', list(q.waits.responseRelayMs)],
      ['barge-in clear', list(q.waits.bargeInMs)],
      ['  heard over', list(q.waits.bargeInHeardMs)],
      ['goodbye', ms(q.waits.goodbyeMs)],
      ['lead delivery', ms(q.waits.leadDeliveryMs)],
      ...Object.entries(q.fields).map(([field, f]): [string, string] => [
        field,
        `${f.attempts} attempt(s) (${f.attemptsFrom})${f.readBackCorrected ? ', read-back corrected' : ''}, ${f.agreement ?? 'no vote'}`,
      ]),
    );
  }
  const width = Math.max(...pairs.map(([k]) => k.length));
  return pairs.map(([k, v]) => `${k.padEnd(width)}  ${v}`).join('\n');
}

/** A list of ms, or '-' when empty. */
const list = (values: readonly number[]): string => (values.length === 0 ? '-' : `${values.join(', ')} ms`);
