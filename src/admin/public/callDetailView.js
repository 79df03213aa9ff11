// One conversation's whole record: transcript beside the recording (a turn seeks it), the machine's replay, the
// quality record, each field's witnesses and vote, the NPA request and answer, the outbox attempts, the audit log.
import { html, useEffect, useRef, useState } from './vendor/preact-htm.js';
import { get } from './api.js';
import { fieldLabel, formatMs, formatTime, show } from './format.js';
import { Replay } from './replay.js';

function Transcript({ turns, onSeek, canSeek }) {
  if (!turns || turns.length === 0) return html`<p class="muted">No transcript.</p>`;
  return html`<ol class="transcript" data-testid="transcript">
    ${turns.map(
      (turn, index) => html`<li class=${turn.speaker ?? turn.role}>
        ${canSeek && typeof turn.startMs === 'number'
          ? html`<button type="button" class="turn" data-start=${turn.startMs} onClick=${() => onSeek(turn.startMs)} aria-label=${`Play from ${formatMs(turn.startMs)}`}>
              <span class="who">${turn.speaker ?? turn.role}</span> <span class="at">${formatMs(turn.startMs)}</span> ${turn.text}
            </button>`
          : html`<span class="who">${turn.speaker ?? turn.role}</span> ${turn.text}`}
        <span class="visually-hidden">line ${index + 1}</span>
      </li>`,
    )}
  </ol>`;
}

function Table({ rows, columns, testid }) {
  if (!rows || rows.length === 0) return html`<p class="muted">None.</p>`;
  return html`<table class="grid" data-testid=${testid}>
    <thead><tr>${columns.map(([, label]) => html`<th scope="col">${label}</th>`)}</tr></thead>
    <tbody>${rows.map((row) => html`<tr>${columns.map(([key, , render]) => html`<td>${render ? render(row[key], row) : show(row[key])}</td>`)}</tr>`)}</tbody>
  </table>`;
}

function Quality({ quality }) {
  if (!quality) return html`<p class="muted">No quality record.</p>`;
  const waits = quality.waits ?? {};
  const list = (values) => (values && values.length > 0 ? values.map(formatMs).join(', ') : '–');
  return html`<dl class="pairs">
    <dt>Duration</dt><dd>${formatMs(quality.durationMs)}</dd>
    <dt>Turns</dt><dd>${quality.turns ? `${quality.turns.agent} agent, ${quality.turns.caller} caller` : '–'}</dd>
    <dt>Time to greeting</dt><dd>${formatMs(waits.greetingMs)}</dd>
    <dt>Answers</dt><dd>${list(waits.responseMs)}</dd>
    <dt>Barge-ins</dt><dd>${quality.bargeIns ?? 0} (${list(waits.bargeInMs)})</dd>
    <dt>Dead air</dt><dd>${quality.deadAir ? `${quality.deadAir.count} over ${formatMs(quality.deadAir.thresholdMs)}, longest ${formatMs(quality.deadAir.longestMs)}` : '–'}</dd>
    <dt>Goodbye</dt><dd>${formatMs(waits.goodbyeMs)}</dd>
    <dt>Lead delivered</dt><dd>${formatMs(waits.leadDeliveryMs)}</dd>
    <dt>End</dt><dd>${show(quality.endReason)} · ${show(quality.outcome)}</dd>
  </dl>`;
}

export function CallDetailView({ id }) {
  const [detail, setDetail] = useState(null);
  const [error, setError] = useState('');
  const audio = useRef(null);
  useEffect(() => {
    setDetail(null);
    get(`/admin/api/calls/${encodeURIComponent(id)}`).then(setDetail).catch((failure) => setError(failure.message));
  }, [id]);
  if (error !== '') return html`<p class="error" role="alert">${error}</p>`;
  if (detail === null) return html`<p class="muted">Loading…</p>`;
  const recording = (detail.recordings ?? []).find((r) => r.kind === 'call' && r.status === 'complete');
  const recordingUrl = (r) => `/admin/api/calls/${encodeURIComponent(r.callSid)}/recording${r.kind === 'voicemail' ? '?kind=voicemail' : ''}`;
  const seek = (ms) => {
    const player = audio.current;
    if (!player) return;
    player.currentTime = ms / 1000;
    void player.play().catch(() => undefined);
  };
  const session = detail.session;
  const lead = detail.lead ?? { votes: [], npa: {}, outbox: { row: null, retries: [] } };
  const votes = (lead.votes ?? []).map((vote) => ({
    ...vote,
    ...Object.fromEntries((vote.witnesses ?? []).map((w) => [w.witness, w.value])),
  }));
  const outboxRow = lead.outbox?.row;
  const attempts = [
    ...(outboxRow ? [{ at: outboxRow.updatedAt, kind: outboxRow.kind, status: outboxRow.status, tries: `${outboxRow.attempts} pass(es), ${outboxRow.npaAttempts} request(s)`, error: outboxRow.lastError }] : []),
    ...(lead.outbox?.retries ?? []).map((retry) => ({ at: retry.at, kind: 'retry', status: 'failed', tries: `${retry.attempts} request(s)`, error: retry.reason })),
  ];
  return html`
    <article aria-labelledby="detail-title" data-testid="call-detail">
      <p><a href="#/calls">← All calls</a></p>
      <h1 id="detail-title">${session.channel === 'sms' ? 'Text conversation' : 'Call'} <code>${session.callSid ?? session.sessionKey}</code></h1>
      <dl class="pairs">
        <dt>Started</dt><dd>${formatTime(session.startedAt)}</dd>
        <dt>Duration</dt><dd>${formatMs(session.durationMs)}</dd>
        <dt>Phase</dt><dd><code>${show(session.phase)}</code></dd>
        <dt>Outcome</dt><dd>${session.outcome ? html`<span class=${`badge ${session.outcome}`}>${session.outcome}</span>` : '–'} ${session.reason ? show(session.reason) : ''}</dd>
        <dt>Ended by</dt><dd>${show(session.endReason)}${session.failureReason ? ` · ${session.failureReason}` : ''}</dd>
        <dt>Caller</dt><dd>${show(session.name)} · ${show(session.callerPhone)}</dd>
        <dt>Lead</dt><dd><code>${show(session.leadId)}</code>${lead.status ? ` · ${lead.status}` : ''}</dd>
      </dl>
      <div class="side-by-side">
        <section aria-labelledby="transcript-title">
          <h2 id="transcript-title">Transcript</h2>
          <${Transcript} turns=${detail.transcript} onSeek=${seek} canSeek=${recording !== undefined} />
        </section>
        <section aria-labelledby="recording-title">
          <h2 id="recording-title">Recording</h2>
          ${recording
            ? html`<audio ref=${audio} controls preload="metadata" src=${recordingUrl(recording)} data-testid="recording"></audio>
                <p class="muted">${formatMs(recording.durationMs)} · select a line of the transcript to play from there</p>`
            : html`<p class="muted">No recording of this call.</p>`}
          ${(detail.recordings ?? [])
            .filter((r) => r !== recording)
            .map((r) => html`<p>${r.kind}: ${r.status === 'deleted' ? 'deleted by the retention policy' : html`<a href=${recordingUrl(r)}>download</a>`}</p>`)}
        </section>
      </div>
      <section aria-labelledby="machine-title"><h2 id="machine-title">The call on its machine</h2><${Replay} timeline=${detail.timeline ?? []} /></section>
      <section aria-labelledby="quality-title"><h2 id="quality-title">Quality</h2><${Quality} quality=${detail.quality} /></section>
      <section aria-labelledby="vote-title">
        <h2 id="vote-title">Witnesses and vote</h2>
        <${Table}
          testid="votes"
          rows=${votes}
          columns=${[
            ['field', 'Field', fieldLabel],
            ['live', 'Live capture'],
            ['offline', 'Offline reader'],
            ['llm', 'LLM'],
            ['ruling', 'Vote', (ruling, row) => html`${ruling}${row.disputed ? html` <span class="badge review">disputed</span>` : ''}`],
            ['value', 'Decided'],
            ['why', 'Why'],
          ]}
        />
      </section>
      <section aria-labelledby="npa-title">
        <h2 id="npa-title">NPA request and answer</h2>
        <div class="side-by-side">
          <div><h3>Request</h3><pre data-testid="npa-request" tabindex="0" aria-label="The NPA request">${lead.npa?.request ? JSON.stringify(lead.npa.request, null, 2) : '–'}</pre></div>
          <div><h3>Answer</h3><pre data-testid="npa-answer" tabindex="0" aria-label="The NPA answer">${lead.npa?.answer ? JSON.stringify(lead.npa.answer, null, 2) : '–'}</pre></div>
        </div>
      </section>
      <section aria-labelledby="outbox-title">
        <h2 id="outbox-title">Outbox attempts</h2>
        <${Table}
          testid="attempts"
          rows=${attempts}
          columns=${[
            ['at', 'When', formatTime],
            ['kind', 'Kind'],
            ['status', 'Status'],
            ['tries', 'Attempts'],
            ['error', 'Error'],
          ]}
        />
      </section>
      <section aria-labelledby="audit-title">
        <h2 id="audit-title">Audit log</h2>
        <${Table}
          testid="audit"
          rows=${detail.audit ?? []}
          columns=${[
            ['at', 'When', formatTime],
            ['operator', 'Operator'],
            ['action', 'Action'],
            ['detail', 'What changed'],
          ]}
        />
      </section>
    </article>
  `;
}
