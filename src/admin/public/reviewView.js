// The review queue: each disputed field with every witness's value and the transcript lines behind it; approve
// (choosing or typing the value), or reject with a reason.
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { get, post } from './api.js';
import { fieldLabel, formatAge, formatTime, show } from './format.js';

function DisputedField({ leadId, item, choice, onChoose }) {
  const name = `${leadId}-${item.field}`;
  return html`<fieldset class="disputed">
    <legend>${fieldLabel(item.field)}</legend>
    ${item.candidates.map((candidate) =>
      candidate.value === null
        ? html`<p class="muted choice">${candidate.witness}: no value</p>`
        : html`<label class="choice">
        <input type="radio" name=${name} value=${String(candidate.value)} checked=${choice === String(candidate.value)} onChange=${() => onChoose(String(candidate.value))} />
        ${show(candidate.value)} <span class="muted">(${candidate.witness}${candidate.lines?.length ? `; said on line ${candidate.lines.map((i) => i + 1).join(', ')}` : '; not said in the call'})</span>
      </label>`,
    )}
    <label class="choice">Other value <input name=${`${name}-typed`} value=${choice ?? ''} onInput=${(e) => onChoose(e.currentTarget.value)} /></label>
    ${item.lines && item.lines.length > 0
      ? html`<p class="muted">Where it was said:</p><ol class="lines">${item.lines.map((line) => html`<li value=${line.index + 1}><span class="who">${line.speaker}</span> ${line.text}</li>`)}</ol>`
      : ''}
  </fieldset>`;
}

function ReviewItem({ item, onDone }) {
  const [choices, setChoices] = useState({});
  const [reason, setReason] = useState('');
  const [message, setMessage] = useState('');
  const [busy, setBusy] = useState(false);
  const act = async (run) => {
    setBusy(true);
    setMessage('');
    try {
      const result = await run();
      dispatchEvent(new Event('psb:review-changed'));
      onDone(`Lead ${item.leadId}: ${result}`);
    } catch (failure) {
      setMessage(failure.message);
    } finally {
      setBusy(false);
    }
  };
  const approve = (event) => {
    event.preventDefault();
    const set = Object.fromEntries(Object.entries(choices).filter(([, value]) => value !== ''));
    act(async () => {
      const result = await post(`/admin/api/review/${item.leadId}/approve`, { set });
      return result.state.status === 'succeeded' ? 'approved and sent' : `approved; ${result.state.status}`;
    });
  };
  const reject = () => act(async () => (await post(`/admin/api/review/${item.leadId}/reject`, { reason }), 'rejected: saved as a failed lead'));
  return html`<article class="review-item" data-lead=${item.leadId} aria-labelledby=${`review-${item.leadId}`}>
    <h2 id=${`review-${item.leadId}`}>Lead <code>${item.leadId}</code> <span class="muted">waiting ${formatAge(item.createdAt)} (since ${formatTime(item.createdAt)})</span></h2>
    ${item.sessionId ? html`<p><a href=${`#/calls/${item.sessionId}`}>Open the conversation</a></p>` : ''}
    <form onSubmit=${approve}>
      ${item.disputed.map((d) => html`<${DisputedField} leadId=${item.leadId} item=${d} choice=${choices[d.field]} onChoose=${(value) => setChoices({ ...choices, [d.field]: value })} />`)}
      <div class="actions">
        <button type="submit" disabled=${busy}>Approve</button>
        <label>Reason <input value=${reason} onInput=${(e) => setReason(e.currentTarget.value)} /></label>
        <button type="button" class="danger" disabled=${busy || reason.trim() === ''} onClick=${reject}>Reject</button>
      </div>
      <p class="result" role="status" aria-live="polite" data-testid="review-result">${message}</p>
    </form>
  </article>`;
}

export function ReviewView() {
  const [queue, setQueue] = useState(null);
  const [error, setError] = useState('');
  // What the last decision did (the lead itself leaves the queue).
  const [notice, setNotice] = useState('');
  const load = () => get('/admin/api/review').then(setQueue).catch((failure) => setError(failure.message));
  useEffect(() => {
    load();
  }, []);
  return html`<section aria-labelledby="review-title">
    <h1 id="review-title">Review queue</h1>
    ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : ''}
    <p class="result" role="status" aria-live="polite" data-testid="review-notice">${notice}</p>
    ${queue === null
      ? html`<p class="muted">Loading…</p>`
      : html`<p role="status">${queue.size} lead${queue.size === 1 ? '' : 's'} waiting${queue.size > 0 ? `, the oldest for ${formatAge(queue.oldestAt)}` : ''}.</p>
          ${queue.items.map((item) => html`<${ReviewItem}
              key=${item.leadId}
              item=${item}
              onDone=${(message) => {
                setNotice(message);
                load();
              }}
            />`)}`}
  </section>`;
}
