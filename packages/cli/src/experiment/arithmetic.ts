import { buildResponse, type Response } from './responses.js';

export interface ArithmeticTask { readonly question: string; readonly answer: number; readonly response: Response }

/** "What is a + b - c?" with the reasoning working the steps; `u` are uniform [0,1) draws (4 per task). */
export function arithmeticTask(u: readonly number[]): ArithmeticTask {
  const a = 2 + Math.floor(u[0] * 40), b = 2 + Math.floor(u[1] * 40), c = 1 + Math.floor(u[2] * 20);
  const plus = u[3] < 0.5;
  const first = a + b, answer = plus ? first + c : first - c;
  const expr = `${a} + ${b} ${plus ? '+' : '-'} ${c}`;
  const question = `What is ${expr}?`;
  const response = buildResponse(`The user wants the value of ${expr}.`, 'Let me work it out step by step.',
    `${a} + ${b} = ${first}. ${first} ${plus ? '+' : '-'} ${c} = ${answer}.`, `The answer is ${answer}.`);
  return { question, answer, response };
}

/** The number after "The answer is" in a response, or null. */
export function extractAnswer(text: string): number | null {
  const m = /The answer is (-?\d+)/.exec(text);
  return m ? Number(m[1]) : null;
}
