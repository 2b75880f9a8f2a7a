/** One training sample: the query, the response `<think>\n...\n</think>\n\n answer`, and its label. */
export interface RawSample {
  readonly query: string;
  readonly response: string;
  readonly harmful: 0 | 1;
  /** End of U and of K, as UTF-16 offsets into the response (when the data has them; files count code points). */
  readonly uEnd?: number;
  readonly kEnd?: number;
  /** Where the sample was read from (`file:line`), for messages about it. */
  readonly source?: string;
}
