import type { RecordingLink } from '../db/recordingRepository.js';

/** One line per recording of a lead's call, for the text views: kind, status, length, size, where it is. */
export function describeRecordings(links: readonly RecordingLink[]): string {
  if (links.length === 0) return '-';
  return links
    .map((r) => `${r.kind} ${r.status}  ${(r.durationMs / 1000).toFixed(1)} s  ${r.bytes} bytes  ${r.channels} ch  ${r.store}:${r.key}`)
    .join('\n            ');
}
