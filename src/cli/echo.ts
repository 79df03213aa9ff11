/** Control characters (C0, DEL, C1) and the bidirectional overrides that can disguise what a terminal shows. */
const UNSAFE = /[\u0000-\u001f\u007f-\u009f\u200e\u200f\u202a-\u202e\u2066-\u2069]/g;

/** How much of an operator's input a message repeats back. */
export const ECHO_MAX_CHARS = 80;

/**
 * Input as a message may repeat it: control characters (terminal escape sequences) become "?", and a long value is
 * cut with a note of how much was left out. Use on everything that came from the command line or a file.
 */
export function echo(input: string, maxChars = ECHO_MAX_CHARS): string {
  const safe = input.replace(UNSAFE, '?');
  return safe.length <= maxChars ? safe : `${safe.slice(0, maxChars)}... (${safe.length - maxChars} more characters)`;
}

/** A whole line for the terminal: control characters replaced, length capped (a line may quote input deep inside). */
export function terminalLine(text: string, maxChars = 2_000): string {
  return echo(text, maxChars);
}
