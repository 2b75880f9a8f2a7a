import type { DType } from '../dtype.js';
import type { Expr } from '../kernel.js';
import { type BinaryPrim, type Spelling, type UnaryPrim, elementwiseOp } from './ops.js';

/**
 * How one target writes the kernel IR's element-wise nodes as source text: its spelling of each op (picked
 * from the op table), how a value computed in float64 is stored in a dtype, and truncation toward zero.
 */
export interface Dialect {
  readonly spell: (op: UnaryPrim | BinaryPrim) => Spelling;
  /** `x` (a float64 value) as stored in `dtype`: float32 rounding, int32 wrapping, where the target does them. */
  readonly round: (dtype: DType, x: string) => string;
  /** `x` truncated toward zero, NaN to 0 (a cast to int32, before `round`). */
  readonly trunc: (x: string) => string;
}

type Node = Exclude<Expr, { op: 'input' | 'const' | 'head' | 'inBounds' | 'iota' | 'gather' }>;

/**
 * A node of an element-wise expression as source text, its arguments already written (as names or
 * parenthesised text) and rounded to their dtypes; the value is rounded to the node's dtype as the unfused
 * op would store it. The one expression renderer: the cpu backend's loops and gpu.js's kernels both call it.
 */
export function renderNode(e: Node, args: readonly string[], d: Dialect): string {
  switch (e.op) {
    case 'where': return `(${args[0]} != 0.0 ? ${args[1]} : ${args[2]})`;
    case 'cast': {
      const from = e.args[0].dtype;
      if (e.dtype === from || from === 'bool') return args[0];
      if (e.dtype === 'bool') return `(${args[0]} != 0.0 ? 1.0 : 0.0)`;
      if (e.dtype === 'int32') return d.round('int32', d.trunc(args[0]));
      return d.round(e.dtype, args[0]);
    }
    default: {
      const op = elementwiseOp(e.op);
      const text = d.spell(e.op)(...args);
      return op.predicate ? text : d.round(e.dtype, text);
    }
  }
}
