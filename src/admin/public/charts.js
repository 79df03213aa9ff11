// Bar charts as SVG, drawn from numbers only: stacked outcome bars over time and horizontal bars.
import { html } from './vendor/preact-htm.js';

export const OUTCOME_COLOURS = { succeeded: '#1a7f37', failed: '#b42318', review: '#9a6700', pending: '#3b5bdb', lost: '#57606a' };

/** Stacked bars: one per bucket (`at`), one segment per outcome; an accessible table carries the same numbers. */
export function OutcomeBars({ buckets, label, formatAt }) {
  const width = 720;
  const height = 180;
  const pad = 28;
  const max = Math.max(1, ...buckets.map((b) => b.calls));
  const barWidth = buckets.length === 0 ? 0 : Math.max(2, (width - pad * 2) / buckets.length - 2);
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${height}`} role="img" aria-label=${label}>
      <line x1=${pad} y1=${height - pad} x2=${width - pad} y2=${height - pad} class="axis" />
      <text x=${4} y=${pad} class="tick">${max}</text>
      ${buckets.map((bucket, index) => {
        const x = pad + index * (barWidth + 2);
        let y = height - pad;
        return html`<g>
          <title>${formatAt(bucket.at)}: ${bucket.calls} calls</title>
          ${Object.entries(OUTCOME_COLOURS).map(([outcome, colour]) => {
            const count = bucket.outcomes?.[outcome] ?? 0;
            const h = ((height - pad * 2) * count) / max;
            y -= h;
            return count === 0 ? '' : html`<rect x=${x} y=${y} width=${barWidth} height=${h} fill=${colour} />`;
          })}
        </g>`;
      })}
    </svg>
    <figcaption>${label} <span class="legend">${Object.entries(OUTCOME_COLOURS).map(([o, c]) => html`<span><i class="swatch" style=${{ background: c }}></i>${o}</span>`)}</span></figcaption>
  </figure>`;
}

/** Horizontal bars of `{ label, value }`, scaled to the largest, each with its number written out. */
export function HorizontalBars({ rows, label, format = String }) {
  const width = 720;
  const rowHeight = 24;
  const labelWidth = 170;
  const max = Math.max(1e-9, ...rows.map((r) => r.value));
  return html`<figure class="chart">
    <svg viewBox=${`0 0 ${width} ${Math.max(1, rows.length) * rowHeight + 8}`} role="img" aria-label=${label}>
      ${rows.map(
        (row, index) => html`<g transform=${`translate(0 ${index * rowHeight + 4})`}>
          <text x=${labelWidth - 6} y=${16} text-anchor="end" class="tick">${row.label}</text>
          <rect x=${labelWidth} y=${4} height=${16} width=${((width - labelWidth - 90) * row.value) / max} fill="#3b5bdb" />
          <text x=${labelWidth + ((width - labelWidth - 90) * row.value) / max + 6} y=${16} class="tick">${format(row.value)}</text>
        </g>`,
      )}
    </svg>
    <figcaption>${label}</figcaption>
  </figure>`;
}
