/** One training sample: the query, the response `<think>\n...\n</think>\n\n answer`, and its label. */
export interface RawSample {
  readonly query: string;
  readonly response: string;
  readonly harmful: 0 | 1;
  /** End of U and of K, as character offsets into the response (when the data has them). */
  readonly uEnd?: number;
  readonly kEnd?: number;
}
