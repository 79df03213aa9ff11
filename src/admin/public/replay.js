// A finished call replayed on the machine's drawing from its session's record (the time it entered each phase).
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { formatTime } from './format.js';
import { Statechart } from './statechart.js';
import { useMachineLayout } from './machineLayout.js';

/** Steps through the call's phases on the drawing, one every 700 ms. */
export function Replay({ timeline }) {
  const { layout, error } = useMachineLayout();
  const [step, setStep] = useState(timeline.length);
  useEffect(() => {
    if (step >= timeline.length) return undefined;
    const timer = setTimeout(() => setStep(step + 1), 700);
    return () => clearTimeout(timer);
  }, [step, timeline.length]);
  if (error !== '') return html`<p class="error" role="alert">${error}</p>`;
  if (layout === null) return html`<p class="muted">Drawing the machine…</p>`;
  const path = timeline.slice(0, Math.max(1, step)).map((entry) => entry.state);
  return html`
    <p>
      <button type="button" onClick=${() => setStep(1)} disabled=${timeline.length === 0}>Replay the call</button>
      <span class="muted" role="status" data-testid="replay-step">${timeline.length === 0 ? 'no transitions recorded' : `${Math.min(step, timeline.length)} of ${timeline.length}: ${path.at(-1)} at ${formatTime(timeline[Math.min(step, timeline.length) - 1]?.at)}`}</span>
    </p>
    <${Statechart} layout=${layout} current=${path.at(-1) ?? null} path=${path} />
  `;
}
