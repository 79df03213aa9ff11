// Quality: calls and outcomes per hour and per day, the waits' percentiles, the fields that most often needed a
// second attempt, the review rate; drawn from the stored quality records.
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { get, query } from './api.js';
import { HorizontalBars, OutcomeBars } from './charts.js';
import { fieldLabel, formatMs } from './format.js';

const WAITS = [
  ['greetingMs', 'Time to greeting'],
  ['responseMs', 'Answer after the caller stops'],
  ['bargeInMs', 'Barge-in to silence'],
  ['goodbyeMs', 'Goodbye'],
  ['leadDeliveryMs', 'Lead delivery'],
];

export function QualityView() {
  const [days, setDays] = useState(7);
  const [report, setReport] = useState(null);
  const [error, setError] = useState('');
  useEffect(() => {
    const from = new Date(Date.now() - days * 86_400_000).toISOString();
    get(`/admin/api/quality${query({ from })}`).then(setReport).catch((failure) => setError(failure.message));
  }, [days]);
  const hour = (at) => new Date(at).toLocaleString([], { month: 'short', day: 'numeric', hour: '2-digit' });
  const day = (at) => new Date(at).toLocaleDateString([], { month: 'short', day: 'numeric' });
  return html`<section aria-labelledby="quality-title">
    <h1 id="quality-title">Quality</h1>
    <label>Window
      <select value=${days} onChange=${(e) => setDays(Number(e.currentTarget.value))}>
        <option value="1">last 24 hours</option><option value="7">last 7 days</option><option value="30">last 30 days</option>
      </select>
    </label>
    ${error !== '' ? html`<p class="error" role="alert">${error}</p>` : ''}
    ${report === null
      ? html`<p class="muted">Loading…</p>`
      : html`
          <p role="status" data-testid="review-rate">Review rate: <strong>${(report.reviewRate.rate * 100).toFixed(1)} %</strong> (${report.reviewRate.inReview} of ${report.reviewRate.leads} leads)</p>
          <${OutcomeBars} buckets=${report.perHour} label="Calls per hour, by outcome" formatAt=${hour} />
          <${OutcomeBars} buckets=${report.perDay} label="Calls per day, by outcome" formatAt=${day} />
          <h2>Waits</h2>
          <table class="grid" data-testid="waits">
            <thead><tr><th scope="col">Wait</th><th scope="col">Count</th><th scope="col">p50</th><th scope="col">p90</th><th scope="col">p99</th></tr></thead>
            <tbody>${WAITS.map(([key, label]) => {
              const w = report.waits[key] ?? { count: 0, p50: null, p90: null, p99: null };
              return html`<tr><th scope="row">${label}</th><td>${w.count}</td><td>${formatMs(w.p50)}</td><td>${formatMs(w.p90)}</td><td>${formatMs(w.p99)}</td></tr>`;
            })}</tbody>
          </table>
          <h2>Fields that needed a second attempt</h2>
          ${report.retriedFields.length === 0
            ? html`<p class="muted">None in this window.</p>`
            : html`<${HorizontalBars} label="Share of calls where the field needed more than one attempt" rows=${report.retriedFields.map((f) => ({ label: fieldLabel(f.field), value: f.share }))} format=${(v) => `${(v * 100).toFixed(0)} %`} />`}
        `}
  </section>`;
}
