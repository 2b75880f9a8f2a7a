/**
 * The element-wise ops of the kernel IR with their scalar meaning: the definition every backend is checked
 * against (the reference backend runs these functions), and the order the cpu backend's VM numbers them in.
 */
export const unaryFns = {
  exp: Math.exp, log: Math.log, sqrt: Math.sqrt, rsqrt: (x: number) => 1 / Math.sqrt(x),
  sin: Math.sin, cos: Math.cos, tanh: Math.tanh, reciprocal: (x: number) => 1 / x,
  neg: (x: number) => -x, abs: Math.abs, sign: Math.sign,
} as const;

export const binaryFns = {
  add: (a: number, b: number) => a + b,
  sub: (a: number, b: number) => a - b,
  mul: (a: number, b: number) => a * b,
  div: (a: number, b: number) => a / b,
  pow: Math.pow,
  maximum: Math.max,
  minimum: Math.min,
  eq: (a: number, b: number) => +(a === b),
  ne: (a: number, b: number) => +(a !== b),
  lt: (a: number, b: number) => +(a < b),
  le: (a: number, b: number) => +(a <= b),
  gt: (a: number, b: number) => +(a > b),
  ge: (a: number, b: number) => +(a >= b),
} as const;

export type UnaryPrim = keyof typeof unaryFns;
export type BinaryPrim = keyof typeof binaryFns;
