/**
 * One HTTP `Range: bytes=...` header against a resource of `size` bytes (RFC 9110 section 14). One range only: a
 * header asking for several is answered whole (200), as the RFC allows; a header of another unit or a malformed one
 * is ignored the same way. Pure.
 */
export type RangeRequest =
  | { kind: 'whole' }
  /** Inclusive bounds, as Content-Range writes them. */
  | { kind: 'partial'; start: number; end: number }
  /** 416: the range starts past the end (or the resource is empty). */
  | { kind: 'unsatisfiable' };

const SINGLE_RANGE = /^bytes=(\d*)-(\d*)$/i;

export function parseRange(header: string | undefined, size: number): RangeRequest {
  if (header === undefined || header.trim() === '') return { kind: 'whole' };
  const match = SINGLE_RANGE.exec(header.trim());
  if (match === null) return { kind: 'whole' };
  const [, first = '', last = ''] = match;
  if (first === '' && last === '') return { kind: 'whole' };
  if (first === '') {
    // bytes=-N: the last N bytes.
    const suffix = Number(last);
    if (suffix === 0 || size === 0) return { kind: 'unsatisfiable' };
    return { kind: 'partial', start: Math.max(0, size - suffix), end: size - 1 };
  }
  const start = Number(first);
  if (start >= size) return { kind: 'unsatisfiable' };
  const end = last === '' ? size - 1 : Math.min(Number(last), size - 1);
  if (end < start) return { kind: 'whole' };
  return { kind: 'partial', start, end };
}

/** The Content-Range value of a partial answer, or of a 416 (`bytes *\/size`). */
export const contentRange = (range: RangeRequest, size: number): string =>
  range.kind === 'partial' ? `bytes ${range.start}-${range.end}/${size}` : `bytes */${size}`;
