import * as E from 'fp-ts/lib/Either.js';
import { codePointIndex, encode, readFileText, readTokenizerFile } from '@safekey-ts/hf';
import { defineCommand } from '../command.js';
import { optional, pathArg, repeated, required, switchFlag, text } from '../flags.js';

/** UTF-16 offsets as code-point offsets (Python's `str` indices, what `tokenizers` reports). */
function toCodePoints(textIn: string, offsets: readonly (readonly [number, number])[]): [number, number][] {
  const at = codePointIndex(textIn);
  return offsets.map(([a, b]) => [at[a]!, at[b]!]);
}

export const tokenizerEncodeCommand = defineCommand({
  path: ['tokenizer', 'encode'],
  summary: 'Encode texts with a tokenizer.json as Hugging Face tokenizers does: ids and character offsets.',
  details: [
    'Each --text (repeatable), or the whole --file, is one text; one line per text. The ids are `tokenizers`\'',
    '`encode(text)` with its post-processor (e.g. the bos token of a TemplateProcessing); offsets are [start, end) in',
    'code points of the text, as Python reports them. Without --json: the ids, separated by spaces.',
  ].join('\n'),
  flags: {
    tokenizer: required(pathArg, 'FILE', 'a tokenizer.json (the tokenizer_config.json beside it is read when present)'),
    text: repeated(text, 'TEXT', 'a text to encode'),
    file: optional(pathArg, 'FILE', 'a UTF-8 file whose whole content is one text'),
    json: switchFlag('print {"ids": [...], "offsets": [[start, end], ...]} per text'),
  },
  run: async (f, io) => {
    const texts = [...f.text];
    if (f.file !== undefined) {
      const content = await readFileText(f.file);
      if (E.isLeft(content)) return E.left(content.left.message);
      texts.push(content.right);
    }
    if (texts.length === 0) return E.left('give --text TEXT or --file FILE');
    const tok = await readTokenizerFile(f.tokenizer);
    if (E.isLeft(tok)) return E.left(tok.left.message);
    for (const t of texts) {
      const e = encode(tok.right, t, { addSpecialTokens: true });
      io.out(f.json ? JSON.stringify({ ids: e.ids, offsets: toCodePoints(t, e.offsets) }) : e.ids.join(' '));
    }
    return E.right(undefined);
  },
});
