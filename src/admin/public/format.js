// Small display helpers shared by the console's views (no DOM, no imports: testable in Node).

/** Milliseconds as `1.2 s`, `850 ms`, `3 min 04 s`; a dash for null. */
export function formatMs(ms) {
  if (ms === null || ms === undefined || Number.isNaN(ms)) return '–';
  if (ms < 1000) return `${Math.round(ms)} ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)} s`;
  const minutes = Math.floor(ms / 60_000);
  const seconds = Math.floor((ms % 60_000) / 1000);
  return `${minutes} min ${String(seconds).padStart(2, '0')} s`;
}

/** An ISO time as local `YYYY-MM-DD HH:MM:SS`; a dash for null. */
export function formatTime(iso) {
  if (!iso) return '–';
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return '–';
  const pad = (n) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${pad(d.getMonth() + 1)}-${pad(d.getDate())} ${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}`;
}

/** How long ago an ISO time was, as `4 min` / `2 h` / `3 d`. */
export function formatAge(iso, now = Date.now()) {
  if (!iso) return '–';
  const ms = now - Date.parse(iso);
  if (ms < 60_000) return `${Math.max(0, Math.round(ms / 1000))} s`;
  if (ms < 3_600_000) return `${Math.round(ms / 60_000)} min`;
  if (ms < 86_400_000) return `${Math.round(ms / 3_600_000)} h`;
  return `${Math.round(ms / 86_400_000)} d`;
}

/** A lead field's name as people read it: `vehicle_make` -> `vehicle make`. */
export const fieldLabel = (field) => String(field).replaceAll('_', ' ');

/** Any value as short text: strings as they are, null as a dash, the rest as JSON. */
export function show(value) {
  if (value === null || value === undefined || value === '') return '–';
  if (typeof value === 'string') return value;
  if (typeof value === 'number' || typeof value === 'boolean') return String(value);
  return JSON.stringify(value);
}
