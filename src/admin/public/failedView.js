// Failed leads: retry one through the outbox (as `leads failed retry`), or mark it resolved with a note.
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { get, post, query } from './api.js';
import { formatTime } from './format.js';

function FailedRow({ lead, onChanged }) {
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const [note, setNote] = useState('');
  const act = async (run) => {
    setBusy(true);
    setMessage('');
    try {
      const result = await run();
      setMessage(result);
      onChanged(`Lead ${lead.id}: ${result}`);
    } catch (failure) {
      setMessage(failure.message);
    } finally {
      setBusy(false);
    }
  };
  const retry = (force) =>
    act(async () => {
      const result = await post(`/admin/api/failed/${lead.id}/retry`, { force });
      return result.outcome === 'succeeded' ? 'sent: now a succeeded lead' : `${result.outcome}${result.reason ? `: ${result.reason}` : ''}`;
    });
  const resolve = (event) => {
    event.preventDefault();
    act(async () => {
      await post(`/admin/api/failed/${lead.id}/resolve`, { note });
      return 'marked resolved';
    });
  };
  return html`<tr data-lead=${lead.id}>
    <td><code>${lead.id}</code><div class="muted">${lead.channel} · ${formatTime(lead.createdAt)}</div>${lead.sessionId ? html`<a href=${`#/calls/${lead.sessionId}`}>the conversation</a>` : ''}</td>
    <td>${lead.errorMessage}</td>
    <td>${lead.attempts}</td>
    <td>${lead.resolvedAt ? html`resolved ${formatTime(lead.resolvedAt)}${lead.resolutionNote ? html`<div class="muted">${lead.resolutionNote}</div>` : ''}` : 'open'}</td>
    <td>
      ${lead.resolvedAt
        ? ''
        : html`<div class="actions">
            <button type="button" onClick=${() => retry(false)} disabled=${busy}>Retry</button>
            <button type="button" class="secondary" onClick=${() => retry(true)} disabled=${busy} title="Send it even if it is incomplete">Retry anyway</button>
          </div>
          <form class="inline" onSubmit=${resolve}>
            <label>Note <input value=${note} onInput=${(e) => setNote(e.currentTarget.value)} required /></label>
            <button type="submit" class="secondary" disabled=${busy}>Mark resolved</button>
          </form>`}
      <p class="result" role="status" aria-live="polite" data-testid="failed-result">${message}</p>
    </td>
  </tr>`;
}

export function FailedView() {
  const [all, setAll] = useState(false);
  const [leads, setLeads] = useState(null);
  const [error, setError] = useState('');
  // What the last action did: the row itself may leave the list (a retried lead that succeeded is resolved).
  const [notice, setNotice] = useState('');
  const load = () =>
    get(`/admin/api/failed${query({ all: all ? 'true' : '' })}`)
      .then((answer) => setLeads(answer.leads))
      .catch((failure) => setError(failure.message));
  useEffect(() => {
    load();
  }, [all]);
  return html`<section aria-labelledby="failed-title">
    <h1 id="failed-title">Failed leads</h1>
    <label class="check"><input type="checkbox" checked=${all} onChange=${(e) => setAll(e.currentTarget.checked)} /> Show resolved ones too</label>
    ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : ''}
    <p class="result" role="status" aria-live="polite" data-testid="failed-notice">${notice}</p>
    ${leads === null
      ? html`<p class="muted">Loading…</p>`
      : leads.length === 0
        ? html`<p>No ${all ? '' : 'unresolved '}failed leads.</p>`
        : html`<table class="grid" data-testid="failed">
            <thead><tr><th scope="col">Lead</th><th scope="col">Why it failed</th><th scope="col">Attempts</th><th scope="col">Status</th><th scope="col">Actions</th></tr></thead>
            <tbody>${leads.map((lead) => html`<${FailedRow}
                  key=${lead.id}
                  lead=${lead}
                  onChanged=${(message) => {
                    setNotice(message);
                    load();
                  }}
                />`)}</tbody>
          </table>`}
  </section>`;
}
