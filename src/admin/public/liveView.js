// Live calls: one row per call on this server, updated over a WebSocket; the selected call on the machine's drawing.
import { html, useEffect, useState } from './vendor/preact-htm.js';
import { get } from './api.js';
import { fieldLabel, formatMs, formatTime } from './format.js';
import { Statechart } from './statechart.js';
import { useMachineLayout } from './machineLayout.js';
import { Replay } from './replay.js';

/**
 * The live calls by CallSid, kept current by the server's socket (reconnecting after a drop): this server's own,
 * and the calls other instances are running (replaced as a whole every couple of seconds).
 */
function useLiveCalls() {
  const [calls, setCalls] = useState(new Map());
  const [elsewhere, setElsewhere] = useState([]);
  const [connected, setConnected] = useState(false);
  useEffect(() => {
    let socket = null;
    let stopped = false;
    let retry = null;
    const connect = () => {
      socket = new WebSocket(`${location.protocol === 'https:' ? 'wss' : 'ws'}://${location.host}/admin/api/live/socket`);
      socket.onopen = () => setConnected(true);
      socket.onmessage = (message) => {
        const data = JSON.parse(message.data);
        if (data.type === 'calls') setCalls(new Map(data.calls.map((call) => [call.callSid, call])));
        else if (data.type === 'call') setCalls((previous) => new Map(previous).set(data.call.callSid, data.call));
        else if (data.type === 'elsewhere') setElsewhere(data.calls);
      };
      socket.onclose = () => {
        setConnected(false);
        if (!stopped) retry = setTimeout(connect, 2_000);
      };
    };
    connect();
    return () => {
      stopped = true;
      clearTimeout(retry);
      socket?.close();
    };
  }, []);
  const here = [...calls.values()];
  const others = elsewhere.filter((call) => !calls.has(call.callSid));
  return { calls: [...here, ...others].sort((a, b) => b.startedAt.localeCompare(a.startedAt)), connected };
}

function useNow(everyMs) {
  const [now, setNow] = useState(Date.now());
  useEffect(() => {
    const timer = setInterval(() => setNow(Date.now()), everyMs);
    return () => clearInterval(timer);
  }, [everyMs]);
  return now;
}

function CapturedFields({ captured }) {
  const entries = Object.entries(captured);
  if (entries.length === 0) return html`<span class="muted">none yet</span>`;
  return html`<dl class="captured">
    ${entries.map(([field, entry]) => html`<div><dt>${fieldLabel(field)}</dt><dd>${String(entry.value)}${entry.attempts > 1 ? html` <small>(${entry.attempts} tries)</small>` : ''}</dd></div>`)}
  </dl>`;
}

/** A finished call's phases from its session's record, for the replay (null while it loads or for a live call). */
function useRecordTimeline(call) {
  const [timeline, setTimeline] = useState(null);
  const done = call?.status === 'done';
  const callSid = call?.callSid ?? null;
  useEffect(() => {
    setTimeline(null);
    if (!done || callSid === null) return undefined;
    let stopped = false;
    get(`/admin/api/calls/${encodeURIComponent(callSid)}`)
      .then((detail) => !stopped && setTimeline(detail.timeline ?? []))
      .catch(() => !stopped && setTimeline([]));
    return () => {
      stopped = true;
    };
  }, [callSid, done]);
  return timeline;
}

export function LiveView() {
  const { calls, connected } = useLiveCalls();
  const { layout, error } = useMachineLayout();
  const [selected, setSelected] = useState(null);
  const now = useNow(1_000);
  const chosen = calls.find((call) => call.callSid === selected) ?? calls.find((call) => call.status === 'active') ?? calls[0] ?? null;
  const recorded = useRecordTimeline(chosen);
  return html`
    <section aria-labelledby="live-title">
      <h1 id="live-title">Live calls</h1>
      <p class="muted" role="status">${connected ? `${calls.filter((c) => c.status === 'active').length} live` : 'connecting to the live feed…'}</p>
      ${calls.length === 0
        ? html`<p>No calls right now.</p>`
        : html`<table class="grid" data-testid="live-calls">
            <caption class="visually-hidden">Calls on every instance, newest first</caption>
            <thead><tr><th scope="col">Call</th><th scope="col">Duration</th><th scope="col">State</th><th scope="col">Captured</th><th scope="col">Last events</th></tr></thead>
            <tbody>
              ${calls.map(
                (call) => html`<tr class=${chosen?.callSid === call.callSid ? 'selected' : ''} data-call=${call.callSid} data-state=${call.state}>
                  <td>
                    <button type="button" class="link" aria-pressed=${chosen?.callSid === call.callSid} onClick=${() => setSelected(call.callSid)}>${call.callSid}</button>
                    <div class="muted">${call.callerPhone ?? 'no caller ID'} · ${formatTime(call.startedAt)}${call.instanceId ? ` · on ${call.instanceId}` : ''}</div>
                  </td>
                  <td>${formatMs((call.endedAt ? Date.parse(call.endedAt) : now) - Date.parse(call.startedAt))}</td>
                  <td><code class="state" data-testid="live-state">${call.state}</code>${call.status === 'done'
                      ? html` <span class="badge">ended</span> <a href=${`#/calls/${encodeURIComponent(call.callSid)}`}>its record</a>`
                      : ''}${call.outcome ? html` <span class=${`badge ${call.outcome}`}>${call.outcome}</span>` : ''}</td>
                  <td><${CapturedFields} captured=${call.captured} /></td>
                  <td><ol class="events">${call.lastEvents.slice(-4).map((event) => html`<li>${event.type}</li>`)}</ol></td>
                </tr>`,
              )}
            </tbody>
          </table>`}
      <h2>The call machine${chosen ? html` · <code>${chosen.callSid}</code>` : ''}</h2>
      ${error !== '' ? html`<p class="error" role="alert">The drawing could not be loaded: ${error}</p>` : ''}
      ${layout === null
        ? html`<p class="muted">Drawing the machine…</p>`
        : chosen?.status === 'done' && recorded !== null && recorded.length > 0
          ? html`<p class="muted">This call has ended: replayed from its session's record.</p><${Replay} timeline=${recorded} />`
          : html`<${Statechart} layout=${layout} current=${chosen?.state ?? null} path=${chosen?.path ?? []} />`}
    </section>
  `;
}
