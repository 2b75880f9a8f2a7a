/**
 * Sentence ends in `text`: the index just after each `.`, `?` or `!` that is followed by white space (or
 * the end), except the dots of an ellipsis (`...`).
 */
export function sentenceEnds(text: string): number[] {
  const ends: number[] = [];
  for (let i = 0; i < text.length; i++) {
    const c = text[i];
    if (c !== '.' && c !== '?' && c !== '!') continue;
    if (c === '.' && (text[i - 1] === '.' || text[i + 1] === '.')) continue;
    if (i + 1 === text.length || /\s/.test(text[i + 1])) ends.push(i + 1);
  }
  return ends;
}

/**
 * Locates U and K in a response `<think>\n{reasoning}...` without offsets: U is the first `uSentences`
 * sentences of the reasoning, K the next one. Returns character offsets into the response, or null when
 * the reasoning has too few sentences.
 */
export function locateSpans(response: string, uSentences = 1): { uEnd: number; kEnd: number } | null {
  const open = response.indexOf('<think>');
  const close = response.indexOf('</think>');
  const start = open >= 0 ? open + '<think>'.length : 0;
  const stop = close > start ? close : response.length;
  const ends = sentenceEnds(response.slice(start, stop)).map((e) => e + start);
  if (ends.length < uSentences + 1) return null;
  return { uEnd: ends[uSentences - 1], kEnd: ends[uSentences] };
}
