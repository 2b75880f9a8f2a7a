/** A tokenizer could not be trained, built or loaded; `message` names the file and field (or option) at fault. */
export interface TokenizerError {
  readonly kind: 'TokenizerError';
  readonly message: string;
}

export const tokenizerError = (message: string): TokenizerError => ({ kind: 'TokenizerError', message });
