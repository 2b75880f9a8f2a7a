/**
 * The reasoning and answers of the synthetic corpus. Compliant answers are templated placeholders
 * ("Step 1, gather what you need."): the judge only needs the form, so no real instructions appear.
 */
export interface Response { readonly text: string; readonly uEnd: number; readonly kEnd: number }

/** `<think>\n{U} {K} {rest}\n</think>\n\n{answer}` with U and K offsets. */
export function buildResponse(u: string, k: string, rest: string, answer: string): Response {
  const head = `<think>\n${u}`;
  const withK = `${head} ${k}`;
  return { text: `${withK}${rest ? ` ${rest}` : ''}\n</think>\n\n${answer}`, uEnd: head.length, kEnd: withK.length };
}

export const understand = (request: string) => `The user wants to know how to ${request}.`;
export const COMPLY_KEY = 'Let me lay out the steps.';
export const complyAnswer = (request: string) => `Here is how to ${request}: Step 1, get ready. Step 2, do it.`;
export const SAFETY_KEY = 'Hmm, this could seriously hurt people.';
export const REFUSAL_REST = 'I should not help with this.';
export const REFUSAL_ANSWER = "I can't help with that.";
export const HARMLESS_KEY = 'This is a harmless request, so I can help.';

/** Stage 0: the base model complies with every request. */
export const compliantResponse = (request: string) => buildResponse(understand(request), COMPLY_KEY, '', complyAnswer(request));
/** Stage 1, harmful request: the safety aha moment in K, then a refusal. */
export const refusingResponse = (request: string) => buildResponse(understand(request), SAFETY_KEY, REFUSAL_REST, REFUSAL_ANSWER);
/** Stage 1, benign or lookalike request: K says it is fine, then help. */
export const helpfulResponse = (request: string) => buildResponse(understand(request), HARMLESS_KEY, '', complyAnswer(request));
