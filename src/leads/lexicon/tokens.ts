/** A word of an utterance with what follows it, so phrases can stop at a comma or a full stop. */
export interface Token {
  readonly text: string;
  readonly lower: string;
  /** True when punctuation (, . ; ! ?) follows before the next word. */
  readonly endsClause: boolean;
}

/** Splits a text into words; hyphenated and apostrophized words ("Harley-Davidson", "it's", "'05") stay whole. */
export function tokenize(text: string): Token[] {
  const re = /'?[A-Za-z0-9]+(?:[-'’.][A-Za-z0-9]+)*/g;
  const found: { text: string; end: number; start: number }[] = [];
  for (let m = re.exec(text); m !== null; m = re.exec(text)) {
    found.push({ text: m[0], start: m.index, end: m.index + m[0].length });
  }
  return found.map((f, i) => {
    const between = text.slice(f.end, found[i + 1]?.start ?? text.length);
    return { text: f.text, lower: f.text.toLowerCase().replace(/’/g, "'"), endsClause: /[,.;!?]/.test(between) };
  });
}
