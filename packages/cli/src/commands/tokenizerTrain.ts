import * as E from 'fp-ts/lib/Either.js';
import { DEFAULT_SPECIAL_TOKENS, MAX_VOCAB_SIZE, readFileText, saveTokenizerAs, trainBpe, vocabSize } from '@safekey-ts/hf';
import { defineCommand } from '../command.js';
import { integer, pathArg, required, withDefault } from '../flags.js';

export const tokenizerTrainCommand = defineCommand({
  path: ['tokenizer', 'train'],
  summary: 'Train a byte-level BPE tokenizer on a text file and write it as a Hugging Face tokenizer.json.',
  details: [
    'The whole corpus file is one text (UTF-8). Ids 0..255 are the bytes, then the chat special tokens, then merges',
    'until --vocab-size (fewer when no pair occurs --min-pair-count times). Its tokenizer_config.json and',
    'chat_template.jinja (the project\'s chat format) are written beside it.',
  ].join('\n'),
  flags: {
    corpus: required(pathArg, 'FILE', 'the training text'),
    vocabSize: required(integer(256 + DEFAULT_SPECIAL_TOKENS.length, MAX_VOCAB_SIZE), 'N', 'the vocabulary size'),
    out: required(pathArg, 'FILE', 'the tokenizer.json to write'),
    minPairCount: withDefault(integer(1), 'N', 'merge only pairs seen at least this often', 2),
  },
  run: async (f, io) => {
    const corpus = await readFileText(f.corpus);
    if (E.isLeft(corpus)) return E.left(corpus.left.message);
    const tok = trainBpe([corpus.right], { vocabSize: f.vocabSize, minPairCount: f.minPairCount });
    if (E.isLeft(tok)) return E.left(tok.left.message);
    const written = await saveTokenizerAs(f.out, tok.right);
    if (E.isLeft(written)) return E.left(written.left.message);
    io.out(`wrote ${f.out}: ${vocabSize(tok.right)} tokens, ${tok.right.model.merges.length} merges`);
    return E.right(undefined);
  },
});
