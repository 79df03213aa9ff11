/**
 * The class of a lead's failure reason: a small fixed set a metric label may carry. The reason itself is free text
 * (it can name a field, a status, an error message) and must never become a label: unbounded series, and
 * possibly personal data.
 */
export const REASON_CLASSES = [
  'incomplete',
  'refused_zip',
  'npa_error',
  'model_failure',
  'extraction_failed',
  'database',
  'review',
  'other',
] as const;

export type ReasonClass = (typeof REASON_CLASSES)[number];

/**
 * First match wins: a reason joins several causes with "; " (a model failure, then the fields it left missing),
 * and the cause that came first in the call is the one to count.
 */
const RULES: ReadonlyArray<readonly [ReasonClass, RegExp]> = [
  ['model_failure', /^model connection|^conversation failed/],
  ['extraction_failed', /^extraction failed/],
  // "submission pending: database unavailable (...)" is the database's fault, not the API's: checked first.
  ['database', /database|could not record|lead not recorded|spool/],
  ['npa_error', /NPA API|^submission pending|submission failed/],
  ['review', /^held for review/],
  ['refused_zip', /invalid:? [^;]*zip_code/],
  ['incomplete', /^incomplete|missing/],
];

/** The class of a reason (`null`: the lead had none, counted as `other`). */
export function reasonClassOf(reason: string | null | undefined): ReasonClass {
  if (reason === null || reason === undefined || reason === '') return 'other';
  const text = reason.trim();
  for (const [reasonClass, pattern] of RULES) if (pattern.test(text)) return reasonClass;
  return 'other';
}
