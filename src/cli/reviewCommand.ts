import { parseArgs } from 'node:util';
import { supportingTurns } from '../extraction/callerSupport.js';
import { readVerdicts } from '../extraction/decisionSchema.js';
import { LEAD_FIELDS, type LeadField, type Turn } from '../leads/lead.js';
import type { DecisionRecord } from '../db/decisionRepository.js';
import { callerPhoneIn, readVoiceState } from '../db/entities/sessionState.js';
import type { SessionRecord } from '../db/sessionRepository.js';
import { isUuid } from '../db/isUuid.js';
import type { Repositories } from '../db/repositories.js';
import { createNpaClient, npaOptionsFrom } from '../npa/npaClient.js';
import { createLeadOutbox } from '../outbox/leadOutbox.js';
import { approveReview, candidatesOf, rejectReview } from '../outbox/leadReview.js';
import { echo } from './echo.js';
import { CliError, EXIT, type ExitCode } from './exitCodes.js';
import type { CliContext } from './io.js';
import { formatDate, formatTable } from './table.js';
import { withRepositories } from './withRepositories.js';
import { cliActor } from './cliActor.js';
import { recordingLink } from '../db/recordingRepository.js';
import { describeRecordings } from './recordingLinks.js';

const USAGE =
  'usage: leads review list [--json] | show ID [--json] | approve ID [--set field=value ...] [--by NAME] [--json] | reject ID --reason TEXT [--by NAME]';

/** `leads review list|show|approve|reject`: the leads whose witnesses disagree, waiting for a person. */
export async function reviewCommand(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const [sub, ...rest] = args;
  switch (sub) {
    case 'list':
      return await list(ctx, rest);
    case 'show':
      return await show(ctx, rest);
    case 'approve':
      return await approve(ctx, rest);
    case 'reject':
      return await reject(ctx, rest);
    default:
      throw new CliError(USAGE, EXIT.USAGE);
  }
}

/** One lead of the queue as `list --json` prints it. */
interface QueueEntry {
  id: string;
  channel: string;
  /** The CallSid, or the texting number's conversation (`sms:<lead id>`). */
  sessionKey: string | null;
  /** `held`: not sent until approved; `sent`: sent with the majority values (REVIEW_POLICY=send), flagged. */
  review: string;
  disputed: LeadField[];
  candidates: Partial<Record<LeadField, Record<string, unknown>>>;
  createdAt: string;
  ageSeconds: number;
}

async function sessionOf(repos: Repositories, decision: DecisionRecord): Promise<SessionRecord | null> {
  return decision.sessionId === null ? null : repos.sessions.get(decision.sessionId);
}

function entryOf(decision: DecisionRecord, session: SessionRecord | null): QueueEntry {
  return {
    id: decision.id,
    channel: decision.channel,
    sessionKey: session?.sessionKey ?? null,
    review: decision.review,
    disputed: decision.disputed,
    candidates: candidatesOf(decision),
    createdAt: decision.createdAt.toISOString(),
    ageSeconds: Math.max(0, Math.round((Date.now() - decision.createdAt.getTime()) / 1000)),
  };
}

async function list(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  if (positionals.length > 0) throw new CliError('usage: leads review list [--json]', EXIT.USAGE);
  const entries = await withRepositories(ctx, async (repos) =>
    Promise.all((await repos.decisions.openReviews()).map(async (d) => entryOf(d, await sessionOf(repos, d)))),
  );
  if (values.json) ctx.io.out(JSON.stringify(entries, null, 2));
  else if (entries.length === 0) ctx.io.out('no leads in review');
  else {
    const cells = entries.map((e) => [e.id, formatDate(new Date(e.createdAt)), age(e.ageSeconds), e.channel, e.review === 'sent' ? 'sent, flagged' : 'held', e.disputed.join(', ')]);
    ctx.io.out(formatTable(['ID', 'CREATED', 'AGE', 'CHANNEL', 'STATE', 'DISPUTED'], cells));
  }
  return EXIT.OK;
}

async function show(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { json: { type: 'boolean', default: false } }, allowPositionals: true });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new CliError('usage: leads review show ID [--json]', EXIT.USAGE);
  const found = !isUuid(id)
    ? null
    : await withRepositories(ctx, async (repos) => {
        const decision = await repos.decisions.get(id);
        if (decision === null || decision.review === 'none') return null;
        const session = await sessionOf(repos, decision);
        const recordings = session === null ? [] : ((await repos.recordings.forSessions([session.id])).get(session.id) ?? []);
        return { decision, entry: entryOf(decision, session), state: (session?.state ?? {}) as Record<string, unknown>, recordings: recordings.map(recordingLink) };
      });
  if (found === null) throw new CliError(`no lead in review with id ${echo(id)}`, EXIT.NOT_FOUND);
  const { decision, entry, state, recordings } = found;
  const transcript: Turn[] = readVoiceState(state).transcript ?? [];
  const callerPhone = callerPhoneIn(state);
  const verdicts = readVerdicts(decision.fields);
  // Per disputed field: each witness's value and the transcript lines where it was said.
  const fields = Object.fromEntries(
    decision.disputed.map((field) => {
      const witnesses = verdicts?.[field]?.witnesses ?? {};
      const candidates = Object.entries(witnesses).map(([witness, value]) => ({
        witness,
        value,
        lines:
          value === null || value === undefined
            ? []
            : supportingTurns(field, value, { callerPhone, turns: transcript }).map((i) => ({ turn: i + 1, role: transcript[i]?.role, text: transcript[i]?.text })),
      }));
      return [field, { why: verdicts?.[field]?.why ?? null, candidates }];
    }),
  );
  const detail = {
    ...entry,
    lead: decision.leadData,
    verdicts,
    fields,
    reasked: decision.reasked,
    recording: state['recording'] ?? null,
    recordings,
    transcript,
  };
  if (values.json) {
    ctx.io.out(JSON.stringify(detail, null, 2));
    return EXIT.OK;
  }
  const lines = [
    `id        ${decision.id}`,
    `channel   ${decision.channel}   session ${entry.sessionKey ?? '-'}`,
    `created   ${formatDate(decision.createdAt)} (${age(entry.ageSeconds)} ago)   ${decision.review === 'sent' ? 'sent with the majority values, flagged' : 'held: not sent until approved'}`,
    `recording ${describeRecording(state['recording'])}`,
    `recordings  ${describeRecordings(recordings)}`,
    '',
    'fields:',
    ...LEAD_FIELDS.map((f) => `  ${f.padEnd(14)} ${String(decision.leadData[f] ?? '-')}  [${verdicts?.[f]?.ruling ?? '?'}: ${verdicts?.[f]?.why ?? ''}]`),
  ];
  for (const [field, { candidates }] of Object.entries(fields)) {
    lines.push('', `disputed: ${field}`);
    for (const c of candidates) {
      lines.push(`  ${c.witness.padEnd(8)} ${c.value === null || c.value === undefined ? '(none)' : String(c.value)}`);
      for (const line of c.lines) lines.push(`           line ${line.turn} ${line.role === 'user' ? 'CALLER' : 'AGENT'}: ${line.text ?? ''}`);
    }
  }
  lines.push('', `approve: leads review approve ${decision.id} ${decision.disputed.map((f) => `--set ${f}=VALUE`).join(' ')}`);
  ctx.io.out(lines.join('\n'));
  return EXIT.OK;
}

async function approve(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({
    args,
    options: { set: { type: 'string', multiple: true, default: [] }, by: { type: 'string' }, json: { type: 'boolean', default: false } },
    allowPositionals: true,
  });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0) throw new CliError('usage: leads review approve ID [--set field=value ...] [--by NAME]', EXIT.USAGE);
  const set: Partial<Record<LeadField, string>> = {};
  for (const pair of values.set) {
    const at = pair.indexOf('=');
    if (at <= 0) throw new CliError(`--set takes field=value (got ${echo(pair)})`, EXIT.USAGE);
    set[pair.slice(0, at).trim() as LeadField] = pair.slice(at + 1);
  }
  if (!isUuid(id)) throw new CliError(`no lead in review with id ${echo(id)}`, EXIT.NOT_FOUND);
  const npa = createNpaClient(npaOptionsFrom(ctx.config, ctx.logger));
  const result = await withRepositories(ctx, (repos) =>
    approveReview(
      { repos, outbox: createLeadOutbox(ctx.config, { repos, npa, logger: ctx.logger }), logger: ctx.logger },
      { id, set, by: cliActor(values.by) },
      { sendNow: ctx.config.NPA_API_URL !== undefined, refusedStates: ctx.config.REFUSED_STATES },
    ),
  );
  if (values.json) ctx.io.out(JSON.stringify({ id, ...result }, null, 2));
  else if (!result.sent) ctx.io.out(`${id}  approved (it was already sent with these values)`);
  else if (result.state.status === 'succeeded') ctx.io.out(`${id}  approved and sent`);
  else if (result.state.status === 'pending') ctx.io.out(`${id}  approved; in the outbox, not sent yet: ${result.state.lastError ?? "the server's outbox worker sends it"}`);
  else ctx.io.out(`${id}  approved; sending failed: ${result.state.status === 'failed' ? result.state.reason : result.state.status}`);
  return result.state.status === 'failed' ? EXIT.FAILED : EXIT.OK;
}

async function reject(ctx: CliContext, args: string[]): Promise<ExitCode> {
  const { values, positionals } = parseArgs({ args, options: { reason: { type: 'string' }, by: { type: 'string' } }, allowPositionals: true });
  const [id, ...extra] = positionals;
  if (id === undefined || extra.length > 0 || values.reason === undefined) throw new CliError('usage: leads review reject ID --reason TEXT [--by NAME]', EXIT.USAGE);
  if (!isUuid(id)) throw new CliError(`no lead in review with id ${echo(id)}`, EXIT.NOT_FOUND);
  const reason = values.reason;
  const npa = createNpaClient(npaOptionsFrom(ctx.config, ctx.logger));
  await withRepositories(ctx, (repos) =>
    rejectReview({ repos, outbox: createLeadOutbox(ctx.config, { repos, npa, logger: ctx.logger }), logger: ctx.logger }, { id, reason, by: cliActor(values.by) }),
  );
  ctx.io.out(`${id}  rejected: saved as a failed lead`);
  return EXIT.OK;
}

function age(seconds: number): string {
  if (seconds < 120) return `${seconds} s`;
  if (seconds < 2 * 3600) return `${Math.round(seconds / 60)} min`;
  if (seconds < 2 * 86400) return `${Math.round(seconds / 3600)} h`;
  return `${Math.round(seconds / 86400)} d`;
}

function describeRecording(recording: unknown): string {
  if (recording === null || typeof recording !== 'object') return '-';
  const r = recording as Record<string, unknown>;
  return [r['sid'], r['url'], typeof r['durationSeconds'] === 'number' ? `${r['durationSeconds']} s` : null].filter((x) => typeof x === 'string' && x !== '').join('  ') || '-';
}
