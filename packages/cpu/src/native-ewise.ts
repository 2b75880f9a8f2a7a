// Compiles an element-wise `Expr` to the register program of the addon's element-wise VM (native/ewise.cc,
// `ewise`): one instruction per distinct node (structurally equal subtrees share a register), each
// [op, dst, a, b, c, round] where `round` is the node's dtype rounding (or the input / constant slot for
// LOAD / CONST). Programs are cached by canonical expression; constants, shapes and strides are arguments.
import { type DType, type Expr, stableKey } from '@safekey-ts/core';
import { OP } from './vm-ops.js';

// bfloat16 never reaches a kernel (jit keeps it out; -1 is no code the VM knows)
const ROUND: Record<DType, number> = { float64: 0, float32: 1, int32: 2, bool: 3, bfloat16: -1 };
const compares = new Set(['eq', 'ne', 'lt', 'le', 'gt', 'ge']);

export interface Program {
  readonly prog: Int32Array; readonly nregs: number; readonly result: number;
  /** Every node float32 or bool: the VM computes in float (same bits, twice the SIMD width, no rounding). */
  readonly floatMode: boolean;
}

const cache = new Map<string, Program | null>();

/**
 * The program for a canonical expression (see `canonical`: constants are slots, passed with each call),
 * where a `head` leaf reads input `headIndex`; null when the VM should not run it.
 */
export function compileProgram(expr: Expr, canonKey: string, headIndex: number): Program | null {
  const key = `${canonKey}|${headIndex}`;
  const hit = cache.get(key);
  if (hit !== undefined) return hit;
  const prog: number[] = [];
  const memo = new Map<string, number>();
  let nregs = 0, ok = true, floatMode = true;
  const emit = (op: number, a = -1, b = -1, c = -1, r = 0): number => { const dst = nregs++; prog.push(op, dst, a, b, c, r); return dst; };
  const visit = (e: Expr): number => {
    if (e.dtype === 'float64') ok = false; // float64 stays in JS: its transcendentals must match V8's bit for bit
    if (e.dtype !== 'float32' && e.dtype !== 'bool') floatMode = false;
    const k = stableKey(e);
    const m = memo.get(k);
    if (m !== undefined) return m;
    let reg: number;
    switch (e.op) {
      case 'input': reg = emit(OP.load, -1, -1, -1, e.index); break;
      case 'head': reg = emit(OP.load, -1, -1, -1, headIndex); break;
      case 'const': reg = emit(OP.const, -1, -1, -1, e.value); break; // value: the constant's slot
      case 'cast': {
        const a = visit(e.args[0]), from = e.args[0].dtype;
        if (e.dtype === 'bool') reg = emit(OP.castBool, a, -1, -1, ROUND.bool);
        else if (e.dtype === 'int32' && from !== 'int32' && from !== 'bool') reg = emit(OP.castInt, a, -1, -1, ROUND.int32);
        else reg = emit(OP.ident, a, -1, -1, e.dtype === 'float32' && from !== 'bool' ? ROUND.float32 : 0);
        break;
      }
      case 'where': {
        const [c, a, b] = e.args.map(visit);
        reg = emit(OP.where, c, a, b, 0);
        break;
      }
      default: {
        const code = OP[e.op];
        if (!code) { ok = false; return 0; }
        const args = (e as { args: readonly Expr[] }).args.map(visit);
        reg = emit(code, args[0], args[1] ?? -1, -1, compares.has(e.op) ? 0 : ROUND[e.dtype]);
      }
    }
    memo.set(k, reg);
    return reg;
  };
  const result = visit(expr);
  const p = ok && nregs <= 256 ? { prog: Int32Array.from(prog), nregs, result, floatMode } : null;
  cache.set(key, p);
  return p;
}
