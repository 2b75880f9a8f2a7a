// The general tasks: checkable requests unrelated to safety, trained in stage 0 and evaluated before and after
// alignment by exact match of the answer ("The answer is X.").
import { buildResponse, type Response } from './responses.js';

export const GENERAL_TASKS = ['arithmetic', 'repeat'] as const;
export type GeneralTask = (typeof GENERAL_TASKS)[number];

export interface TaskItem { readonly task: GeneralTask; readonly question: string; readonly answer: string; readonly response: Response }

/** "What is a + b - c?" with the reasoning working the steps; `u` are uniform [0,1) draws (4 per item). */
export function arithmeticTask(u: readonly number[]): TaskItem {
  const a = 2 + Math.floor(u[0] * 40), b = 2 + Math.floor(u[1] * 40), c = 1 + Math.floor(u[2] * 20);
  const plus = u[3] < 0.5;
  const first = a + b, answer = plus ? first + c : first - c;
  const expr = `${a} + ${b} ${plus ? '+' : '-'} ${c}`;
  const question = `What is ${expr}?`;
  const response = buildResponse(`The user wants the value of ${expr}.`, 'Let me work it out step by step.',
    `${a} + ${b} = ${first}. ${first} ${plus ? '+' : '-'} ${c} = ${answer}.`, `The answer is ${answer}.`);
  return { task: 'arithmetic', question, answer: String(answer), response };
}

const WORDS = [
  'apple', 'river', 'stone', 'cloud', 'window', 'garden', 'yellow', 'quiet', 'pencil', 'mountain', 'candle', 'orange',
  'silver', 'basket', 'forest', 'rocket', 'button', 'winter', 'lemon', 'piano', 'island', 'tiger', 'marble', 'coffee',
  'ladder', 'purple', 'rabbit', 'summer', 'teacup', 'violin', 'wallet', 'zebra', 'anchor', 'blanket', 'cherry', 'desert',
  'engine', 'feather', 'guitar', 'harbor', 'jacket', 'kettle', 'meadow', 'needle', 'ocean', 'pepper', 'saddle', 'tunnel',
];

/** "Repeat these words: w1 w2 w3." with the answer the words in order; `u` are uniform draws (5 per item: a count, 4 words). */
export function repeatTask(u: readonly number[]): TaskItem {
  const n = 3 + Math.floor(u[0] * 2);
  const words = Array.from({ length: n }, (_, i) => WORDS[Math.floor(u[1 + i] * WORDS.length)]).join(' ');
  const question = `Repeat these words: ${words}.`;
  const response = buildResponse(`The user wants me to repeat ${n} words.`, 'Let me copy them in order.', '', `The answer is ${words}.`);
  return { task: 'repeat', question, answer: words, response };
}

/** The text after the first "The answer is" of a response, up to its final period, or null. */
export function extractAnswer(text: string): string | null {
  const at = text.indexOf('The answer is ');
  if (at < 0) return null;
  return text.slice(at + 'The answer is '.length).split('\n')[0].trim().replace(/\.$/, '');
}
