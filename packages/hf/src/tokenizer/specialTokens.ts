/** The special tokens of the project's own chat format (`DEFAULT_CHAT_TEMPLATE`) and of its trained tokenizers. */
export const CHAT_SPECIAL_TOKENS = {
  user: '<|user|>',
  assistant: '<|assistant|>',
  endOfTurn: '<|end_of_turn|>',
  thinkStart: '<think>',
  thinkEnd: '</think>',
  eos: '<|eos|>',
  pad: '<|pad|>',
} as const;

/** In id order: a trained tokenizer gives these ids 256, 257, ... */
export const DEFAULT_SPECIAL_TOKENS: readonly string[] = [
  CHAT_SPECIAL_TOKENS.pad,
  CHAT_SPECIAL_TOKENS.eos,
  CHAT_SPECIAL_TOKENS.user,
  CHAT_SPECIAL_TOKENS.assistant,
  CHAT_SPECIAL_TOKENS.endOfTurn,
  CHAT_SPECIAL_TOKENS.thinkStart,
  CHAT_SPECIAL_TOKENS.thinkEnd,
];
