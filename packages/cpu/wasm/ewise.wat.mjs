// The element-wise VM of the WebAssembly path: the register programs of src/native-ewise.ts (the same ones the
// addon's VM runs), evaluated in blocks of the innermost dim with f32x4 SIMD. Only "float mode" programs (every
// node float32 or bool) run here; the JS side sends every other kernel to its JS loops.
//
// In float mode + - * / sqrt 1/x neg abs sign max min, comparisons, where and casts between float32 and bool
// are exact in float, so they give the reference backend's bits. exp, sigmoid and rsqrt are computed in double
// (f64x2) and rounded once: exp (and sigmoid's) with the addon's algorithm (`expd` in native/cpu.cc, ~1 ulp of double, so the float32
// results match the reference's except within ~1e-16 of a rounding boundary); log, sin, cos, tanh and pow call
// the JS engine's Math functions, the reference's own.
//
// ewise(...job, item0, item1, col0, col1, scratch) runs items [item0, item1) of a job over columns [col0, col1)
// of the innermost dim; item = row * nBlocks + block, a block is up to BLOCK values of the row's columns
// (nBlocks = ceil((col1 - col0) / BLOCK)); a column window lets threads split a reduction that keeps that dim. The job's parameters are PARAMS
// (tables are byte addresses of int32 arrays, `consts` of float32; element sizes tell float32 (4) from bool (1)
// and a float64 accumulator (8)); `scratch` (ewiseScratchBytes, one per thread) holds the register address
// table, the per-input offsets and the register blocks.

export const BLOCK = 256;
const MAX_REGS = 256, MAX_INPUTS = 64;
const AT = 0, OFFS = 4 * MAX_REGS, REGS = OFFS + 4 * MAX_INPUTS;
export const ewiseScratchBytes = REGS + 4 * BLOCK * MAX_REGS;

/** The job's parameters, in order (after them: item0, item1, scratch). */
export const PARAMS = ['prog', 'nInsn', 'nregs', 'result', 'consts', 'rank', 'shape', 'outSt', 'nin', 'inPtr', 'inSize', 'inOff', 'inSt',
  'sink', 'outPtr', 'outSize', 'outOff'];
/** The op codes of src/native-ewise.ts (a test checks they agree). */
export const mathImports = ['log', 'sin', 'cos', 'tanh', 'pow'];

const g = (name) => `(local.get $${name})`;
const f64x2 = (x) => {
  const b = new DataView(new ArrayBuffer(8));
  b.setFloat64(0, x);
  const hex = `0x${b.getBigUint64(0).toString(16).padStart(16, '0')}`;
  return `(v128.const i64x2 ${hex} ${hex})`; // exact bits (no decimal round trip)
};
const f32x4 = (x) => `(v128.const f32x4 ${x} ${x} ${x} ${x})`;

const HORNER = [6227020800, 479001600, 39916800, 3628800, 362880, 40320, 5040, 720, 120, 24, 6].map((d) => 1 / d).concat([0.5, 1, 1]);
/** expd's constants, held in locals for the whole block (not rebuilt for every vector). */
const EXP_CONSTS = {
  log2e: 1.4426950408889634, shift: 6755399441055744, ln2hi: 0.6931471803691238, ln2lo: 1.9082149292705877e-10,
  ...Object.fromEntries(HORNER.map((c, i) => [`c${i}`, c])),
};

/**
 * Statements setting $<out> to exp of the two doubles in $<x>, which lie in [-110, 100] or are NaN: expd of
 * native/cpu.cc operation for operation, less its clamping (done before, in float) and with 2^k applied as one
 * factor (exact for |k| < 1022, so the same bits as its two).
 */
function expd2(x, out, t) {
  const l = (n) => `(local.get $${n}${t})`, c = (n) => `(local.get $k_${n})`;
  const horner = HORNER.slice(1).map((_, i) => `(local.set $p${t} (f64x2.add (f64x2.mul ${l('p')} ${l('r')}) ${c(`c${i + 1}`)}))`);
  return `
        (local.set $vv${t} (f64x2.add (f64x2.mul (local.get $${x}) ${c('log2e')}) ${c('shift')}))
        (local.set $kk${t} (f64x2.sub ${l('vv')} ${c('shift')}))
        (local.set $r${t} (f64x2.sub (f64x2.sub (local.get $${x}) (f64x2.mul ${l('kk')} ${c('ln2hi')})) (f64x2.mul ${l('kk')} ${c('ln2lo')})))
        (local.set $p${t} ${c('c0')})
        ${horner.join('\n        ')}
        (local.set $${out} (f64x2.mul ${l('p')} (i64x2.shl (i64x2.add (i64x2.sub ${l('vv')} (local.get $k_bias)) (local.get $k_e1023)) (i32.const 52))))`;
}

/**
 * `$<name>` over a block of floats, in double and rounded once: each vector of four clamped by `clamp` (in
 * float), its halves promoted to $lo / $hi, their exp (`expd2`) in $elo / $ehi, and `finish(x, e)` (x: the
 * unclamped value in double) the lane's result.
 */
function expBlockFn(name, clamp, finish) {
  const temps = ['vv', 'kk', 'r', 'p'];
  const locals = ['x', 'lo', 'hi', 'elo', 'ehi', ...temps.flatMap((n) => [`${n}0`, `${n}1`]), ...Object.keys(EXP_CONSTS).map((k) => `k_${k}`), 'k_bias', 'k_e1023'];
  const high = (v) => `(i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${v} ${v})`;
  return `
  (func $${name} (param $pa i32) (param $r i32) (param $vbytes i32)
    (local $i i32) (local $v v128) ${locals.map((n) => `(local $${n} v128)`).join(' ')}
    ${Object.entries(EXP_CONSTS).map(([k, v]) => `(local.set $k_${k} ${f64x2(v)})`).join('\n    ')}
    (local.set $k_bias (v128.const i64x2 0x4338000000000000 0x4338000000000000))
    (local.set $k_e1023 (v128.const i64x2 1023 1023))
    (loop $v
      (local.set $x (v128.load (i32.add (local.get $pa) (local.get $i))))
      (local.set $v ${clamp('(local.get $x)')})
      (local.set $lo (f64x2.promote_low_f32x4 (local.get $v)))
      (local.set $hi (f64x2.promote_low_f32x4 ${high('(local.get $v)')}))
      ${expd2('lo', 'elo', '0')}
      ${expd2('hi', 'ehi', '1')}
      (v128.store (i32.add (local.get $r) (local.get $i)) (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
        (f32x4.demote_f64x2_zero ${finish('(f64x2.promote_low_f32x4 (local.get $x))', '(local.get $elo)')})
        (f32x4.demote_f64x2_zero ${finish(`(f64x2.promote_low_f32x4 ${high('(local.get $x)')})`, '(local.get $ehi)')})))
      (local.set $i (i32.add (local.get $i) (i32.const 16)))
      (br_if $v (i32.lt_u (local.get $i) (local.get $vbytes)))))`;
}

/**
 * exp: inputs clamped to [-110, 100] first (exp rounds to float32 infinity above 88.8 and to 0 below -103.9
 * either way; NaN stays NaN through every step).
 */
const expBlock = () => expBlockFn('expBlock', (x) => `(f32x4.max (f32x4.min ${x} ${f32x4(100)}) ${f32x4(-110)})`, (_x, e) => e);

/**
 * sigmoid from z = exp(-|x|), clamped at -110 (below, 1 / (1 + z) is 1 and z / (1 + z) rounds to float32 0
 * either way): 1 / (1 + z) where x >= 0, z / (1 + z) elsewhere (NaN too, whose z is NaN), as the op table's
 * scalar: the numerator picked first, so one division.
 */
const sigmoidBlock = () => expBlockFn('sigmoidBlock', (x) => `(f32x4.max (f32x4.neg (f32x4.abs ${x})) ${f32x4(-110)})`,
  (x, e) => `(f64x2.div (v128.bitselect ${f64x2(1)} ${e} (f64x2.ge ${x} ${f64x2(0)})) (f64x2.add ${e} ${f64x2(1)}))`);

/** A function of four floats computed in double: each half promoted, `f` applied, demoted back. */
const viaDouble = (name, f) => `
  (func $${name} (param $x v128) (result v128)
    (i8x16.shuffle 0 1 2 3 4 5 6 7 16 17 18 19 20 21 22 23
      (f32x4.demote_f64x2_zero ${f('(f64x2.promote_low_f32x4 (local.get $x))')})
      (f32x4.demote_f64x2_zero ${f('(f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 (local.get $x) (local.get $x)))')})))`;

const one = f32x4(1), zero = '(v128.const i32x4 0 0 0 0)';
const A = '(v128.load (i32.add (local.get $pa) (local.get $i)))';
const B = '(v128.load (i32.add (local.get $pb) (local.get $i)))';
const C = '(v128.load (i32.add (local.get $pc) (local.get $i)))';
const bool = (mask) => `(v128.and ${mask} ${one})`;

/** Vector expressions of the ops, over the register blocks at $pa, $pb, $pc. */
const vector = {
  sqrt: `(f32x4.sqrt ${A})`, rsqrt: `(call $rsqrt4 ${A})`,
  reciprocal: `(f32x4.div ${one} ${A})`, neg: `(f32x4.neg ${A})`, abs: `(f32x4.abs ${A})`,
  sign: `(v128.bitselect ${one} (v128.bitselect ${f32x4(-1)} ${A} (f32x4.lt ${A} ${zero})) (f32x4.gt ${A} ${zero}))`,
  add: `(f32x4.add ${A} ${B})`, sub: `(f32x4.sub ${A} ${B})`, mul: `(f32x4.mul ${A} ${B})`, div: `(f32x4.div ${A} ${B})`,
  maximum: `(f32x4.max ${A} ${B})`, minimum: `(f32x4.min ${A} ${B})`,
  eq: bool(`(f32x4.eq ${A} ${B})`), ne: bool(`(f32x4.ne ${A} ${B})`), lt: bool(`(f32x4.lt ${A} ${B})`),
  le: bool(`(f32x4.le ${A} ${B})`), gt: bool(`(f32x4.gt ${A} ${B})`), ge: bool(`(f32x4.ge ${A} ${B})`),
  where: `(v128.bitselect ${B} ${C} (f32x4.ne ${A} ${zero}))`, castBool: bool(`(f32x4.ne ${A} ${zero})`),
};
const sa = '(f64.promote_f32 (f32.load (i32.add (local.get $pa) (local.get $i))))';
const sb = '(f64.promote_f32 (f32.load (i32.add (local.get $pb) (local.get $i))))';
/** Scalar expressions (double in, double out) of the ops that call the JS engine's Math. */
const scalar = {
  log: `(call $log ${sa})`, sin: `(call $sin ${sa})`, cos: `(call $cos ${sa})`, tanh: `(call $tanh ${sa})`,
  pow: `(call $pow ${sa} ${sb})`,
};

const vloop = (expr) => `
        (local.set $i (i32.const 0))
        (loop $v
          (v128.store (i32.add (local.get $r) (local.get $i)) ${expr})
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $v (i32.lt_u (local.get $i) (local.get $vbytes))))`;
const sloop = (expr) => `
        (local.set $i (i32.const 0))
        (loop $s
          (f32.store (i32.add (local.get $r) (local.get $i)) (f32.demote_f64 ${expr}))
          (local.set $i (i32.add (local.get $i) (i32.const 4)))
          (br_if $s (i32.lt_u (local.get $i) (local.get $bytes))))`;

/** The code of each op (the instruction's fields are in $dst, $r (its block), $pa, $pb, $pc, $q). */
function opCode(op) {
  if (op === 'exp') return '(call $expBlock (local.get $pa) (local.get $r) (local.get $vbytes))';
  if (op === 'sigmoid') return '(call $sigmoidBlock (local.get $pa) (local.get $r) (local.get $vbytes))';
  if (op in vector) return vloop(vector[op]);
  if (op in scalar) return sloop(scalar[op]);
  switch (op) {
    case 'ident': return `(i32.store (i32.add (local.get $scr) (i32.shl (local.get $dst) (i32.const 2))) (local.get $pa))`;
    case 'const': return vloop(`(v128.load32_splat (i32.add (local.get $consts) (i32.shl (i32.load offset=20 (local.get $q)) (i32.const 2))))`);
    case 'load': return `(call $load (local.get $rank) (local.get $inPtr) (local.get $inSize) (local.get $inSt) (local.get $scr) (local.get $dst)
          (i32.load offset=20 (local.get $q)) (local.get $j0) (local.get $len))`;
    default: return '(unreachable)'; // castInt: never in float mode
  }
}

/** Dispatch on the op code with br_table: one block per code (`ops[c - 1]` is code c; 0 is no op). */
function dispatch(ops) {
  const byCode = ['(unreachable)', ...ops.map(opCode)];
  let s = `(br_table ${byCode.map((_, c) => `$o${c}`).join(' ')} (local.get $op))`;
  for (let c = 0; c < byCode.length; c++) s = `(block $o${c} ${s})\n        ${byCode[c]}\n        (br $next)`;
  return `(block $next ${s})`;
}

/** The VM's text; `ops`: the instructions in op-code order (src/vm-ops.ts's VM_OPS, handed over by scripts/build.mjs). */
export function ewiseWat(ops) {
  return `
  ${expBlock()}
  ${sigmoidBlock()}
  ${viaDouble('rsqrt4', (x) => `(f64x2.div ${f64x2(1)} (f64x2.sqrt ${x}))`)}

  ;; register dst := input i's values j0 .. j0+len of the current row (its offset in scratch OFFS + 4i)
  (func $load (param $rank i32) (param $inPtr i32) (param $inSize i32) (param $inSt i32) (param $scr i32) (param $dst i32)
      (param $in i32) (param $j0 i32) (param $len i32)
    (local $st i32) (local $src i32) (local $r i32) (local $i i32) (local $v v128)
    (local.set $st (i32.load (i32.add (local.get $inSt) (i32.shl (i32.add (i32.mul (local.get $in) (local.get $rank))
      (i32.sub (local.get $rank) (i32.const 1))) (i32.const 2)))))
    ;; element index of the block's first value
    (local.set $src (i32.add (i32.load offset=${OFFS} (i32.add (local.get $scr) (i32.shl (local.get $in) (i32.const 2))))
      (i32.mul (local.get $j0) (local.get $st))))
    (local.set $r (i32.add (local.get $scr) (i32.shl (local.get $dst) (i32.const 2))))
    (if (i32.eq (i32.load (i32.add (local.get $inSize) (i32.shl (local.get $in) (i32.const 2)))) (i32.const 1))
      (then
        (local.set $src (i32.add (i32.load (i32.add (local.get $inPtr) (i32.shl (local.get $in) (i32.const 2)))) (local.get $src)))
        (local.set $r (i32.load (local.get $r)))
        (local.set $i (i32.const 0))
        (loop $u
          (f32.store (i32.add (local.get $r) (i32.shl (local.get $i) (i32.const 2)))
            (f32.convert_i32_u (i32.load8_u (i32.add (local.get $src) (i32.mul (local.get $i) (local.get $st))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br_if $u (i32.lt_u (local.get $i) (local.get $len))))
        (return)))
    (local.set $src (i32.add (i32.load (i32.add (local.get $inPtr) (i32.shl (local.get $in) (i32.const 2)))) (i32.shl (local.get $src) (i32.const 2))))
    (if (i32.eq (local.get $st) (i32.const 1))
      (then (i32.store (local.get $r) (local.get $src)) (return))) ;; contiguous float32: the block is the input itself
    (local.set $r (i32.load (local.get $r)))
    (local.set $i (i32.const 0))
    (if (i32.eqz (local.get $st))
      (then
        (local.set $v (v128.load32_splat (local.get $src)))
        (loop $b
          (v128.store (i32.add (local.get $r) (local.get $i)) (local.get $v))
          (local.set $i (i32.add (local.get $i) (i32.const 16)))
          (br_if $b (i32.lt_u (local.get $i) (i32.shl (local.get $len) (i32.const 2)))))
        (return)))
    (local.set $st (i32.shl (local.get $st) (i32.const 2)))
    (loop $g
      (f32.store (i32.add (local.get $r) (local.get $i)) (f32.load (local.get $src)))
      (local.set $src (i32.add (local.get $src) (local.get $st)))
      (local.set $i (i32.add (local.get $i) (i32.const 4)))
      (br_if $g (i32.lt_u (local.get $i) (i32.shl (local.get $len) (i32.const 2))))))

  (func (export "ewise") ${PARAMS.map((p) => `(param $${p} i32)`).join(' ')} (param $item0 i32) (param $item1 i32)
      (param $col0 i32) (param $col1 i32) (param $scr i32)
    (local $item i32) (local $n i32) (local $nBlocks i32) (local $row i32) (local $rem i32)
    (local $d i32) (local $dim i32) (local $dig i32) (local $in i32) (local $o i32) (local $j0 i32) (local $len i32)
    (local $bytes i32) (local $vbytes i32) (local $k i32) (local $q i32) (local $op i32) (local $dst i32) (local $r i32)
    (local $pa i32) (local $pb i32) (local $pc i32) (local $i i32) (local $res i32) (local $ost i32)
    (local $acc i32) (local $sum f64) (local $x f64)
    (local.set $n (local.get $col1))
    (local.set $nBlocks (i32.div_u (i32.add (i32.sub (local.get $col1) (local.get $col0)) (i32.const ${BLOCK - 1})) (i32.const ${BLOCK})))
    (local.set $ost (i32.load (i32.add (local.get $outSt) (i32.shl (i32.sub (local.get $rank) (i32.const 1)) (i32.const 2)))))
    (local.set $item (local.get $item0))
    (block $done (loop $items
      (br_if $done (i32.ge_u (local.get $item) (local.get $item1)))
      (local.set $row (i32.div_u (local.get $item) (local.get $nBlocks)))
      (local.set $j0 (i32.add (local.get $col0) (i32.mul (i32.sub (local.get $item) (i32.mul (local.get $row) (local.get $nBlocks))) (i32.const ${BLOCK}))))
      (local.set $len (i32.sub (local.get $n) (local.get $j0)))
      (if (i32.gt_s (local.get $len) (i32.const ${BLOCK})) (then (local.set $len (i32.const ${BLOCK}))))
      (local.set $bytes (i32.shl (local.get $len) (i32.const 2)))
      (local.set $vbytes (i32.and (i32.add (local.get $bytes) (i32.const 15)) (i32.const -16)))
      ;; the row's offsets: its digits over the outer dims
      (local.set $o (local.get $outOff))
      (local.set $in (i32.const 0))
      (block $od (loop $ol
        (br_if $od (i32.ge_u (local.get $in) (local.get $nin)))
        (i32.store offset=${OFFS} (i32.add (local.get $scr) (i32.shl (local.get $in) (i32.const 2)))
          (i32.load (i32.add (local.get $inOff) (i32.shl (local.get $in) (i32.const 2)))))
        (local.set $in (i32.add (local.get $in) (i32.const 1)))
        (br $ol)))
      (local.set $rem (local.get $row))
      (local.set $d (i32.sub (local.get $rank) (i32.const 2)))
      (block $dd (loop $dl
        (br_if $dd (i32.lt_s (local.get $d) (i32.const 0)))
        (local.set $dim (i32.load (i32.add (local.get $shape) (i32.shl (local.get $d) (i32.const 2)))))
        (local.set $dig (i32.rem_u (local.get $rem) (local.get $dim)))
        (local.set $rem (i32.div_u (local.get $rem) (local.get $dim)))
        (local.set $o (i32.add (local.get $o) (i32.mul (local.get $dig)
          (i32.load (i32.add (local.get $outSt) (i32.shl (local.get $d) (i32.const 2)))))))
        (local.set $in (i32.const 0))
        (block $id (loop $il
          (br_if $id (i32.ge_u (local.get $in) (local.get $nin)))
          (local.set $i (i32.add (local.get $scr) (i32.add (i32.const ${OFFS}) (i32.shl (local.get $in) (i32.const 2)))))
          (i32.store (local.get $i) (i32.add (i32.load (local.get $i)) (i32.mul (local.get $dig)
            (i32.load (i32.add (local.get $inSt) (i32.shl (i32.add (i32.mul (local.get $in) (local.get $rank)) (local.get $d)) (i32.const 2)))))))
          (local.set $in (i32.add (local.get $in) (i32.const 1)))
          (br $il)))
        (local.set $d (i32.sub (local.get $d) (i32.const 1)))
        (br $dl)))
      ;; every register's block in scratch (a contiguous load points it at its input instead)
      (local.set $k (i32.const 0))
      (loop $rl
        (i32.store (i32.add (local.get $scr) (i32.shl (local.get $k) (i32.const 2)))
          (i32.add (local.get $scr) (i32.add (i32.const ${REGS}) (i32.mul (local.get $k) (i32.const ${4 * BLOCK})))))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $rl (i32.lt_u (local.get $k) (local.get $nregs))))
      (local.set $k (i32.const 0))
      (local.set $q (local.get $prog))
      (loop $insns
        (local.set $op (i32.load (local.get $q)))
        (local.set $dst (i32.load offset=4 (local.get $q)))
        (local.set $r (i32.load (i32.add (local.get $scr) (i32.shl (local.get $dst) (i32.const 2)))))
        (local.set $pa (i32.load (i32.add (local.get $scr) (i32.shl (i32.load offset=8 (local.get $q)) (i32.const 2)))))
        (local.set $pb (i32.load (i32.add (local.get $scr) (i32.shl (i32.load offset=12 (local.get $q)) (i32.const 2)))))
        (local.set $pc (i32.load (i32.add (local.get $scr) (i32.shl (i32.load offset=16 (local.get $q)) (i32.const 2)))))
        ${dispatch(ops)}
        (local.set $q (i32.add (local.get $q) (i32.const 24)))
        (local.set $k (i32.add (local.get $k) (i32.const 1)))
        (br_if $insns (i32.lt_u (local.get $k) (local.get $nInsn))))
      ;; the result's block to its sink
      (local.set $res (i32.load (i32.add (local.get $scr) (i32.shl (local.get $result) (i32.const 2)))))
      (local.set $i (i32.const 0))
      (if (local.get $sink)
        (then
          ;; fold into float64 accumulators in order (sink 1 sum, 2 max: a NaN wins)
          (local.set $acc (i32.add (local.get $outPtr) (i32.shl (i32.add (local.get $o) (i32.mul (local.get $j0) (local.get $ost))) (i32.const 3))))
          (if (i32.eqz (local.get $ost))
            (then
              (local.set $sum (f64.load (local.get $acc)))
              (loop $f
                (local.set $x (f64.promote_f32 (f32.load (i32.add (local.get $res) (local.get $i)))))
                (if (i32.eq (local.get $sink) (i32.const 1))
                  (then (local.set $sum (f64.add (local.get $sum) (local.get $x))))
                  (else (if (i32.or (f64.gt (local.get $x) (local.get $sum)) (f64.ne (local.get $x) (local.get $x)))
                    (then (local.set $sum (local.get $x))))))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br_if $f (i32.lt_u (local.get $i) (local.get $bytes))))
              (f64.store (local.get $acc) (local.get $sum)))
            (else
              (local.set $ost (i32.shl (local.get $ost) (i32.const 3)))
              (loop $f
                (local.set $x (f64.promote_f32 (f32.load (i32.add (local.get $res) (local.get $i)))))
                (local.set $sum (f64.load (local.get $acc)))
                (if (i32.eq (local.get $sink) (i32.const 1))
                  (then (local.set $sum (f64.add (local.get $sum) (local.get $x))))
                  (else (if (i32.or (f64.gt (local.get $x) (local.get $sum)) (f64.ne (local.get $x) (local.get $x)))
                    (then (local.set $sum (local.get $x))))))
                (f64.store (local.get $acc) (local.get $sum))
                (local.set $acc (i32.add (local.get $acc) (local.get $ost)))
                (local.set $i (i32.add (local.get $i) (i32.const 4)))
                (br_if $f (i32.lt_u (local.get $i) (local.get $bytes))))
              (local.set $ost (i32.shr_s (local.get $ost) (i32.const 3))))))
        (else (if (i32.eq (local.get $outSize) (i32.const 1))
          (then
            (local.set $acc (i32.add (local.get $outPtr) (i32.add (local.get $o) (i32.mul (local.get $j0) (local.get $ost)))))
            (loop $u
              (i32.store8 (local.get $acc) (f32.ne (f32.load (i32.add (local.get $res) (local.get $i))) (f32.const 0)))
              (local.set $acc (i32.add (local.get $acc) (local.get $ost)))
              (local.set $i (i32.add (local.get $i) (i32.const 4)))
              (br_if $u (i32.lt_u (local.get $i) (local.get $bytes)))))
          (else
            (local.set $acc (i32.add (local.get $outPtr) (i32.shl (i32.add (local.get $o) (i32.mul (local.get $j0) (local.get $ost))) (i32.const 2))))
            (if (i32.eq (local.get $ost) (i32.const 1))
              (then
                (block $vd (loop $vs
                  (br_if $vd (i32.gt_u (i32.add (local.get $i) (i32.const 16)) (local.get $bytes)))
                  (v128.store (i32.add (local.get $acc) (local.get $i)) (v128.load (i32.add (local.get $res) (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 16)))
                  (br $vs)))
                (block $td (loop $ts
                  (br_if $td (i32.ge_u (local.get $i) (local.get $bytes)))
                  (f32.store (i32.add (local.get $acc) (local.get $i)) (f32.load (i32.add (local.get $res) (local.get $i))))
                  (local.set $i (i32.add (local.get $i) (i32.const 4)))
                  (br $ts))))
              (else
                (local.set $ost (i32.shl (local.get $ost) (i32.const 2)))
                (loop $ss
                  (f32.store (local.get $acc) (f32.load (i32.add (local.get $res) (local.get $i))))
                  (local.set $acc (i32.add (local.get $acc) (local.get $ost)))
                  (local.set $i (i32.add (local.get $i) (i32.const 4)))
                  (br_if $ss (i32.lt_u (local.get $i) (local.get $bytes))))
                (local.set $ost (i32.shr_s (local.get $ost) (i32.const 2)))))))))
      (local.set $item (i32.add (local.get $item) (i32.const 1)))
      (br $items))))`;
}
