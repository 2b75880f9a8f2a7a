/**
 * The op table of the kernel IR: each element-wise op's scalar meaning (the definition every backend is
 * checked against; the reference backend runs it), the order the cpu backend's VM numbers the ops in, and
 * each target's spelling, which `renderNode` (ir/render.ts) writes for the cpu backend's JavaScript loops
 * and for gpu.js's kernel source.
 */

/** Source text of an op applied to its arguments' source text (names or parenthesised expressions). */
export type Spelling = (...args: string[]) => string;

export interface ElementwiseOp {
  /** The value in float64; a kernel rounds it to the node's dtype. */
  readonly scalar: (...x: number[]) => number;
  /** JavaScript with exactly `scalar`'s meaning; literals are written `1.0` so gpu.js types them as floats. */
  readonly js: Spelling;
  /** gpu.js's source where gpu.js's translation of `js` would differ (GLSL's max and sign drop NaN and -0). */
  readonly gpujs?: Spelling;
  /** Float32 devices (GL, WebGPU) where their builtins differ from JavaScript's (GLSL's pow and tanh). */
  readonly float32?: Spelling;
  /** The op yields exactly 0 or 1: its value needs no rounding. */
  readonly predicate?: true;
}

const call = (f: string): Spelling => (...a) => `${f}(${a.join(', ')})`;
const infix = (o: string): Spelling => (a, b) => `(${a} ${o} ${b})`;
const compare = (o: string): Spelling => (a, b) => `(${a} ${o} ${b} ? 1.0 : 0.0)`;

export const unaryOps = {
  exp: { scalar: Math.exp, js: call('Math.exp') },
  log: { scalar: Math.log, js: call('Math.log') },
  sqrt: { scalar: Math.sqrt, js: call('Math.sqrt') },
  rsqrt: { scalar: (x) => 1 / Math.sqrt(x), js: (a) => `(1.0 / Math.sqrt(${a}))` },
  sin: { scalar: Math.sin, js: call('Math.sin') },
  cos: { scalar: Math.cos, js: call('Math.cos') },
  // GLSL's tanh is (e^2x - 1) / (e^2x + 1): NaN once e^2x overflows; tanh(9) is 1 in float32
  tanh: { scalar: Math.tanh, js: call('Math.tanh'), float32: (a) => `(Math.abs(${a}) > 9.0 ? (${a} > 0.0 ? 1.0 : -1.0) : Math.tanh(${a}))` },
  // the logistic function from z = exp(-|x|) (never above 1, so never inf / inf): 1 / (1 + z), or z / (1 + z) below 0
  sigmoid: {
    scalar: (x) => { const z = Math.exp(-Math.abs(x)); return (x >= 0 ? 1 : z) / (1 + z); },
    js: (a) => `(${a} >= 0.0 ? 1.0 / (1.0 + Math.exp(-${a})) : Math.exp(${a}) / (1.0 + Math.exp(${a})))`,
  },
  reciprocal: { scalar: (x) => 1 / x, js: (a) => `(1.0 / ${a})` },
  neg: { scalar: (x) => -x, js: (a) => `(-${a})` },
  abs: { scalar: Math.abs, js: call('Math.abs') },
  sign: { scalar: Math.sign, js: call('Math.sign'), gpujs: (a) => `(${a} > 0.0 ? 1.0 : (${a} < 0.0 ? -1.0 : ${a}))` },
} as const satisfies Record<string, ElementwiseOp>;

export const binaryOps = {
  add: { scalar: (a, b) => a + b, js: infix('+') },
  sub: { scalar: (a, b) => a - b, js: infix('-') },
  mul: { scalar: (a, b) => a * b, js: infix('*') },
  div: { scalar: (a, b) => a / b, js: infix('/') },
  // GLSL's pow is undefined for a negative base; JavaScript's gives (-2)^3 = -8
  pow: {
    scalar: Math.pow, js: call('Math.pow'),
    float32: (a, b) => `(${b} == 0.0 ? 1.0 : (${a} < 0.0 && Math.floor(${b}) == ${b} ? (Math.floor(${b} * 0.5) * 2.0 == ${b} ? 1.0 : -1.0) * Math.pow(-${a}, ${b}) : Math.pow(${a}, ${b})))`,
  },
  // NaN propagates, as Math.max / Math.min
  maximum: { scalar: Math.max, js: call('Math.max'), gpujs: (a, b) => `((${a} > ${b} || ${a} != ${a}) ? ${a} : ${b})` },
  minimum: { scalar: Math.min, js: call('Math.min'), gpujs: (a, b) => `((${a} < ${b} || ${a} != ${a}) ? ${a} : ${b})` },
  eq: { scalar: (a, b) => +(a === b), js: compare('=='), predicate: true },
  ne: { scalar: (a, b) => +(a !== b), js: compare('!='), predicate: true },
  lt: { scalar: (a, b) => +(a < b), js: compare('<'), predicate: true },
  le: { scalar: (a, b) => +(a <= b), js: compare('<='), predicate: true },
  gt: { scalar: (a, b) => +(a > b), js: compare('>'), predicate: true },
  ge: { scalar: (a, b) => +(a >= b), js: compare('>='), predicate: true },
} as const satisfies Record<string, ElementwiseOp>;

export type UnaryPrim = keyof typeof unaryOps;
export type BinaryPrim = keyof typeof binaryOps;

/** The table entry of an element-wise op. */
export const elementwiseOp = (op: UnaryPrim | BinaryPrim): ElementwiseOp =>
  (op in unaryOps ? unaryOps[op as UnaryPrim] : binaryOps[op as BinaryPrim]);
