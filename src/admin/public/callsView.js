// Every conversation (voice and SMS): search by phone or name, filter by date, channel and outcome.
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { get, query } from './api.js';
import { formatMs, formatTime } from './format.js';

const OUTCOMES = ['', 'succeeded', 'failed', 'review', 'pending', 'lost'];

export function CallsView() {
  const [result, setResult] = useState(null);
  const [error, setError] = useState('');
  const load = (next) => {
    setError('');
    const params = { ...next, from: next.from ? new Date(`${next.from}T00:00:00`).toISOString() : '', to: next.to ? new Date(`${next.to}T23:59:59`).toISOString() : '' };
    get(`/admin/api/calls${query(params)}`).then(setResult).catch((failure) => setError(failure.message));
  };
  useEffect(() => load({}), []);
  // The form's fields are the browser's own (uncontrolled): a re-render (the header's poll) never resets what is typed.
  const submit = (event) => {
    event.preventDefault();
    load(Object.fromEntries(new FormData(event.currentTarget)));
  };
  return html`
    <section aria-labelledby="calls-title">
      <h1 id="calls-title">Calls</h1>
      <form class="filters" onSubmit=${submit} role="search">
        <label>Phone or name <input name="q" type="search" /></label>
        <label>From <input name="from" type="date" /></label>
        <label>To <input name="to" type="date" /></label>
        <label>Channel
          <select name="channel"><option value="">any</option><option value="voice">voice</option><option value="sms">SMS</option></select>
        </label>
        <label>Outcome
          <select name="outcome">${OUTCOMES.map((o) => html`<option value=${o}>${o === '' ? 'any' : o}</option>`)}</select>
        </label>
        <button type="submit">Search</button>
      </form>
      ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : ''}
      ${result === null
        ? html`<p class="muted">Loading…</p>`
        : html`<p class="muted" role="status">${result.total} conversation${result.total === 1 ? '' : 's'}</p>
            <table class="grid" data-testid="calls">
              <thead><tr><th scope="col">Started</th><th scope="col">Channel</th><th scope="col">Caller</th><th scope="col">Duration</th><th scope="col">Outcome</th><th scope="col">Greeting</th><th scope="col">Answer p50</th><th scope="col">Barge-ins</th></tr></thead>
              <tbody>
                ${result.rows.map(
                  (row) => html`<tr>
                    <td><a href=${`#/calls/${encodeURIComponent(row.sessionId)}`}>${formatTime(row.startedAt)}</a></td>
                    <td>${row.channel}</td>
                    <td>${row.name ?? html`<span class="muted">no name</span>`}<div class="muted">${row.callerPhone ?? ''}</div></td>
                    <td>${formatMs(row.durationMs)}</td>
                    <td>${row.outcome ? html`<span class=${`badge ${row.outcome}`}>${row.outcome}</span>` : html`<span class="muted">${row.phase}</span>`}${row.reason ? html`<div class="muted small">${row.reason}</div>` : ''}</td>
                    <td>${formatMs(row.greetingMs)}</td>
                    <td>${formatMs(row.responseP50Ms)}</td>
                    <td>${row.bargeIns ?? '–'}</td>
                  </tr>`,
                )}
              </tbody>
            </table>`}
    </section>
  `;
}
