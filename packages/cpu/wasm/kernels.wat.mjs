// WebAssembly SIMD kernels of @safekey-ts/cpu, written as WAT text (the register-blocked micro-kernel is
// unrolled by the generator below). `scripts/build.mjs` assembles it with wabt into build/kernels.wasm.
//
// Memory is imported and shared, so every worker of the pool instantiates the same module over one memory.
// All pointers are byte addresses into it.
//
// gemm: C[t] = op(A[t]) x op(B[t]) for batch entries t0 <= t < t1 and rows r0 <= i < r1 of each product,
// float32, row-major, accumulated in float32: f32x4 mul then add, or with `relaxed` (the relaxed-SIMD build,
// kernels-relaxed.wasm, for engines that have it: Node 22+, current browsers) f32x4.relaxed_madd, which is a
// fused multiply-add on CPUs with FMA (one rounding instead of two).
// The loops are GotoBLAS-style: B packed into KC x NR panels, an MR x NR micro-kernel holding its C tile in
// registers. MR is 4 rows with separate multiplies and adds, 6 with fused ones: V8 leaves 15 vector registers
// on x64, and 6 rows without fused adds need 16 (12 sums, 2 B vectors, A's value, a product), so one sum went
// to the stack and back at every step of k (measured here: 4 rows ran 26 -> 40 GFLOP/s a core, 48 with the
// loop shape below; the fused build needs no product register and keeps 6 rows, 4 ran it at half speed). A is read
// where it is (MR row pointers, splat loads): packing it cost more than it saved at these sizes (measured: 38
// -> 41-43 GFLOP/s a core, attention's small products 25% faster). A transposed A is the
// exception: its MR rows are columns, a new cache line at every step of k, so an MC x KC block of it is packed
// into MR-wide panels first (measured: the weight-gradient products of a W1 step 8-10% faster). Each call works
// only on its own rows, so the result does not depend on how rows are split among threads.

import { attentionWat } from './attention.wat.mjs';
import { BLOCK, ewiseScratchBytes, ewiseWat, mathImports } from './ewise.wat.mjs';
import { ropeWat } from './rope.wat.mjs';

export const NR = 8, KC = 256, MC = 96, NC = 1024;

/** Rows of the micro-kernel's tile (see above). */
const mrOf = (relaxed) => (relaxed ? 6 : 4);

/** Bytes of scratch one gemm call needs (packed B, one C tile, packed A), for either build. */
export const scratchBytes = 4 * (KC * NC + mrOf(true) * NR + MC * KC);

/** Copies n floats from $src to $d: vector moves, then what is left. */
const copyFloats = (n) => {
  const moves = [];
  for (let at = 0; at < 4 * n;) {
    const [ty, w] = 4 * n - at >= 16 ? ['v128', 16] : 4 * n - at >= 8 ? ['i64', 8] : ['f32', 4];
    moves.push(`(${ty}.store offset=${at} (local.get $d) (${ty}.load offset=${at} (local.get $src)))`);
    at += w;
  }
  return moves.join(' ');
};

const acc = (r, c) => `$c${r}${c}`;

/** Lanes of two f32x4 vectors (0-3 the first, 4-7 the second) as an i8x16.shuffle. */
const lanes = (...ls) => `i8x16.shuffle ${ls.flatMap((l) => [0, 1, 2, 3].map((b) => 4 * l + b)).join(' ')}`;

/** Stores at dst + offset + 32*i the i-th lanes of the four vectors $r{r0}..$r{r0+3} (a 4x4 transpose). */
const transposeStore = (r0, offset) => {
  const r = (i) => `(local.get $r${r0 + i})`;
  return [
    `(local.set $t0 (${lanes(0, 4, 1, 5)} ${r(0)} ${r(1)}))`, `(local.set $t1 (${lanes(0, 4, 1, 5)} ${r(2)} ${r(3)}))`,
    `(local.set $t2 (${lanes(2, 6, 3, 7)} ${r(0)} ${r(1)}))`, `(local.set $t3 (${lanes(2, 6, 3, 7)} ${r(2)} ${r(3)}))`,
    `(v128.store offset=${offset} (local.get $dst) (${lanes(0, 1, 4, 5)} (local.get $t0) (local.get $t1)))`,
    `(v128.store offset=${offset + 32} (local.get $dst) (${lanes(2, 3, 6, 7)} (local.get $t0) (local.get $t1)))`,
    `(v128.store offset=${offset + 64} (local.get $dst) (${lanes(0, 1, 4, 5)} (local.get $t2) (local.get $t3)))`,
    `(v128.store offset=${offset + 96} (local.get $dst) (${lanes(2, 3, 6, 7)} (local.get $t2) (local.get $t3)))`,
  ].join('\n            ');
};

function microKernel(relaxed) {
  const MR = mrOf(relaxed);
  const locals = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < 2; c++) locals.push(`(local ${acc(r, c)} v128)`);
  const zero = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < 2; c++) zero.push(`(local.set ${acc(r, c)} (v128.const i32x4 0 0 0 0))`);
  const step = ['(local.set $b0 (v128.load (local.get $pb)))', '(local.set $b1 (v128.load offset=16 (local.get $pb)))'];
  for (let r = 0; r < MR; r++) {
    step.push(`(local.set $a (v128.load32_splat (local.get $a${r})))`);
    for (let c = 0; c < 2; c++)
      step.push(relaxed
        ? `(local.set ${acc(r, c)} (f32x4.relaxed_madd (local.get $a) (local.get $b${c}) (local.get ${acc(r, c)})))`
        : `(local.set ${acc(r, c)} (f32x4.add (local.get ${acc(r, c)}) (f32x4.mul (local.get $a) (local.get $b${c}))))`);
  }
  const advance = [
    ...Array.from({ length: MR }, (_, r) => `(local.set $a${r} (i32.add (local.get $a${r}) (local.get $as)))`),
    `(local.set $pb (i32.add (local.get $pb) (i32.const ${4 * NR})))`,
    '(local.set $kc (i32.sub (local.get $kc) (i32.const 1)))',
  ];
  // Without fused adds the last step of k is written after the loop: with it there, TurboFan (V8 11) schedules
  // a step's splat loads ahead of its products, and the products ran 17% faster here than in the order it picks
  // for the plain loop (each splat just before its row's products). With fused adds the plain loop is faster:
  // 6 rows' splats held ahead do not fit in the registers.
  const kLoop = relaxed ? `(if (i32.gt_s (local.get $kc) (i32.const 0)) (then (loop $kl
      ${[...step, ...advance].join('\n      ')}
      (br_if $kl (i32.gt_s (local.get $kc) (i32.const 0))))))`
    : `(block $last (loop $kl
      (br_if $last (i32.le_s (local.get $kc) (i32.const 1)))
      ${[...step, ...advance].join('\n      ')}
      (br $kl)))
    (if (i32.gt_s (local.get $kc) (i32.const 0)) (then
      ${step.join('\n      ')}))`;
  // full tile straight to C; a partial one through the tile buffer
  const storeFull = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < 2; c++) {
    const addr = `(i32.add (local.get $pc) (i32.const ${r === 0 ? 16 * c : 0}))`;
    const at = r === 0 ? addr : `(i32.add (local.get $row${r}) (i32.const ${16 * c}))`;
    storeFull.push(`(if (local.get $accum)
        (then (v128.store ${at} (f32x4.add (v128.load ${at}) (local.get ${acc(r, c)}))))
        (else (v128.store ${at} (local.get ${acc(r, c)}))))`);
  }
  const rowPtrs = [];
  for (let r = 1; r < MR; r++) rowPtrs.push(`(local.set $row${r} (i32.add (local.get $pc) (i32.mul (local.get $ldc) (i32.const ${4 * r}))))`);
  const storeTile = [];
  for (let r = 0; r < MR; r++) for (let c = 0; c < 2; c++)
    storeTile.push(`(v128.store offset=${(r * NR + 4 * c) * 4} (local.get $tile) (local.get ${acc(r, c)}))`);
  return `
  ;; C tile (mr x nr, row stride ldc floats) (+)= A (mr x kc, read in place: element (r, p) at byte pa + r*ar + p*as)
  ;; x Bp panel (kc x NR); rows past mr read row 0 again (their sums are dropped)
  (func $micro (param $kc i32) (param $pa i32) (param $ar i32) (param $as i32) (param $pb i32) (param $pc i32) (param $ldc i32)
      (param $mr i32) (param $nr i32) (param $accum i32) (param $tile i32)
    (local $a v128) (local $b0 v128) (local $b1 v128) (local $i i32) (local $j i32) (local $src i32) (local $dst i32)
    ${Array.from({ length: MR - 1 }, (_, r) => `(local $row${r + 1} i32)`).join(' ')}
    ${Array.from({ length: MR }, (_, r) => `(local $a${r} i32)`).join(' ')}
    ${locals.join(' ')}
    ${zero.join('\n    ')}
    ${Array.from({ length: MR }, (_, r) => `(local.set $a${r} (i32.add (local.get $pa) (select (i32.mul (local.get $ar) (i32.const ${r})) (i32.const 0) (i32.lt_s (i32.const ${r}) (local.get $mr)))))`).join('\n    ')}
    ${kLoop}
    (if (i32.and (i32.eq (local.get $mr) (i32.const ${MR})) (i32.eq (local.get $nr) (i32.const ${NR})))
      (then
        ${rowPtrs.join('\n        ')}
        ${storeFull.join('\n        ')}
        (return)))
    ${storeTile.join('\n    ')}
    (local.set $i (i32.const 0))
    (loop $ri
      (local.set $j (i32.const 0))
      (loop $ci
        (local.set $src (i32.add (local.get $tile) (i32.shl (i32.add (i32.mul (local.get $i) (i32.const ${NR})) (local.get $j)) (i32.const 2))))
        (local.set $dst (i32.add (local.get $pc) (i32.shl (i32.add (i32.mul (local.get $i) (local.get $ldc)) (local.get $j)) (i32.const 2))))
        (if (local.get $accum)
          (then (f32.store (local.get $dst) (f32.add (f32.load (local.get $dst)) (f32.load (local.get $src)))))
          (else (f32.store (local.get $dst) (f32.load (local.get $src)))))
        (local.set $j (i32.add (local.get $j) (i32.const 1)))
        (br_if $ci (i32.lt_s (local.get $j) (local.get $nr))))
      (local.set $i (i32.add (local.get $i) (i32.const 1)))
      (br_if $ri (i32.lt_s (local.get $i) (local.get $mr)))))`;
}

/**
 * The module's text; `relaxed`: the products' micro-kernel with relaxed-SIMD multiply-adds; `ops`: the
 * element-wise VM's instructions in op-code order (src/vm-ops.ts).
 */
export function wat({ relaxed = false, ops }) {
  const MR = mrOf(relaxed);
  return `(module
  (import "env" "memory" (memory 1 65536 shared))
  ${mathImports.map((f) => `(import "math" "${f}" (func $${f} (param f64) ${f === 'pow' ? '(param f64) ' : ''}(result f64)))`).join('\n  ')}
  (func (export "scratchBytes") (result i32) (i32.const ${scratchBytes}))
  (func (export "mr") (result i32) (i32.const ${MR}))
  (func (export "ewiseScratchBytes") (result i32) (i32.const ${ewiseScratchBytes}))
  (func (export "ewiseBlock") (result i32) (i32.const ${BLOCK}))
  ${ewiseWat(ops)}
  ${ropeWat()}
  ${attentionWat()}

  ${microKernel(relaxed)}

  ;; Ap[q*kc*MR + p*MR + r] = A(ic + q*MR + r, pc + p) of a transposed A (A(i, p) at pA + 4*(i + p*lda)), rows
  ;; past ic + mc as 0: each step of p copies MR contiguous floats
  (func $packA (param $pA i32) (param $lda i32) (param $ic i32) (param $mc i32) (param $pc i32) (param $kc i32) (param $d i32)
    (local $q i32) (local $p i32) (local $src i32) (local $rows i32)
    (local.set $lda (i32.shl (local.get $lda) (i32.const 2)))
    (loop $panels
      (local.set $rows (i32.sub (local.get $mc) (local.get $q)))
      (local.set $src (i32.add (local.get $pA) (i32.add (i32.shl (i32.add (local.get $ic) (local.get $q)) (i32.const 2))
        (i32.mul (local.get $pc) (local.get $lda)))))
      (local.set $p (i32.const 0))
      (if (i32.ge_s (local.get $rows) (i32.const ${MR}))
        (then (loop $full
          ${copyFloats(MR)}
          (local.set $d (i32.add (local.get $d) (i32.const ${4 * MR})))
          (local.set $src (i32.add (local.get $src) (local.get $lda)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $full (i32.lt_s (local.get $p) (local.get $kc)))))
        (else (loop $part
          ${Array.from({ length: MR }, (_, r) => `(f32.store offset=${4 * r} (local.get $d) (if (result f32) (i32.gt_s (local.get $rows) (i32.const ${r}))
            (then (f32.load offset=${4 * r} (local.get $src))) (else (f32.const 0))))`).join('\n          ')}
          (local.set $d (i32.add (local.get $d) (i32.const ${4 * MR})))
          (local.set $src (i32.add (local.get $src) (local.get $lda)))
          (local.set $p (i32.add (local.get $p) (i32.const 1)))
          (br_if $part (i32.lt_s (local.get $p) (local.get $kc))))))
      (local.set $q (i32.add (local.get $q) (i32.const ${MR})))
      (br_if $panels (i32.lt_s (local.get $q) (local.get $mc)))))

  ;; Bp[(jp*kc + p)*NR + c] = B(k0 + p, j0 + jp*NR + c), zero past column j1. B(p, j) at pB + 4*(p*sbp + j*sbj).
  (func $packB (param $pB i32) (param $sbp i32) (param $sbj i32) (param $k0 i32) (param $kc i32) (param $j0 i32) (param $j1 i32) (param $dst i32)
    (local $j i32) (local $p i32) (local $c i32) (local $col i32) (local $src i32) (local $ld i32)
    ${Array.from({ length: NR }, (_, i) => `(local $r${i} v128)`).join(' ')} (local $t0 v128) (local $t1 v128) (local $t2 v128) (local $t3 v128)
    (local.set $ld (i32.shl (local.get $sbj) (i32.const 2)))
    (local.set $j (local.get $j0))
    (block $done (loop $panels
      (br_if $done (i32.ge_s (local.get $j) (local.get $j1)))
      (local.set $p (i32.const 0))
      (if (i32.and (i32.eq (local.get $sbj) (i32.const 1)) (i32.le_s (i32.add (local.get $j) (i32.const ${NR})) (local.get $j1)))
        (then
          ;; rows of B are contiguous: two vector loads per row
          (local.set $src (i32.add (local.get $pB) (i32.shl (i32.add (i32.mul (local.get $k0) (local.get $sbp)) (local.get $j)) (i32.const 2))))
          (loop $rows
            (v128.store (local.get $dst) (v128.load (local.get $src)))
            (v128.store offset=16 (local.get $dst) (v128.load offset=16 (local.get $src)))
            (local.set $src (i32.add (local.get $src) (i32.shl (local.get $sbp) (i32.const 2))))
            (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * NR})))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $p) (local.get $kc)))))
      (else (if (i32.and (i32.eq (local.get $sbp) (i32.const 1)) (i32.le_s (i32.add (local.get $j) (i32.const ${NR})) (local.get $j1)))
        (then
          ;; columns of B are contiguous (B transposed): four steps of p at a time, two 4x4 transposes
          (local.set $src (i32.add (local.get $pB) (i32.shl (i32.add (local.get $k0) (i32.mul (local.get $j) (local.get $sbj))) (i32.const 2))))
          (block $qd (loop $quads
            (br_if $qd (i32.gt_s (i32.add (local.get $p) (i32.const 4)) (local.get $kc)))
            ${Array.from({ length: NR }, (_, c) => `(local.set $r${c} (v128.load (i32.add (local.get $src) (i32.mul (local.get $ld) (i32.const ${c})))))`).join('\n            ')}
            ${transposeStore(0, 0)}
            ${transposeStore(4, 16)}
            (local.set $src (i32.add (local.get $src) (i32.const 16)))
            (local.set $dst (i32.add (local.get $dst) (i32.const ${16 * NR})))
            (local.set $p (i32.add (local.get $p) (i32.const 4)))
            (br $quads)))
          (block $rd (loop $rest
            (br_if $rd (i32.ge_s (local.get $p) (local.get $kc)))
            ${Array.from({ length: NR }, (_, c) => `(f32.store offset=${4 * c} (local.get $dst) (f32.load (i32.add (local.get $src) (i32.mul (local.get $ld) (i32.const ${c})))))`).join('\n            ')}
            (local.set $src (i32.add (local.get $src) (i32.const 4)))
            (local.set $dst (i32.add (local.get $dst) (i32.const ${4 * NR})))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br $rest))))
        (else
          (loop $rows
            (local.set $c (i32.const 0))
            (loop $cols
              (local.set $col (i32.add (local.get $j) (local.get $c)))
              (f32.store (local.get $dst)
                (if (result f32) (i32.lt_s (local.get $col) (local.get $j1))
                  (then (f32.load (i32.add (local.get $pB) (i32.shl (i32.add
                    (i32.mul (i32.add (local.get $k0) (local.get $p)) (local.get $sbp))
                    (i32.mul (local.get $col) (local.get $sbj))) (i32.const 2)))))
                  (else (f32.const 0))))
              (local.set $dst (i32.add (local.get $dst) (i32.const 4)))
              (local.set $c (i32.add (local.get $c) (i32.const 1)))
              (br_if $cols (i32.lt_s (local.get $c) (i32.const ${NR}))))
            (local.set $p (i32.add (local.get $p) (i32.const 1)))
            (br_if $rows (i32.lt_s (local.get $p) (local.get $kc))))))))
      (local.set $j (i32.add (local.get $j) (i32.const ${NR})))
      (br $panels))))

  ;; rows [r0, r1) of one product C (m x n, row stride ldc) (+)= op(A) (m x k) x op(B) (k x n), where A's rows
  ;; (columns when transposed) are lda floats apart and B's ldb; accum adds to C instead of overwriting it
  (func $gemmS (param $ta i32) (param $tb i32) (param $m i32) (param $n i32) (param $k i32)
      (param $pA i32) (param $lda i32) (param $pB i32) (param $ldb i32) (param $pC i32) (param $ldc i32)
      (param $r0 i32) (param $r1 i32) (param $scratch i32) (param $accum i32)
    (local $sai i32) (local $sap i32) (local $sbp i32) (local $sbj i32)
    (local $jc i32) (local $nc i32) (local $pc i32) (local $kc i32) (local $ic i32) (local $mc i32)
    (local $jr i32) (local $ir i32) (local $bp i32) (local $tile i32) (local $ap i32)
    (if (local.get $ta)
      (then (local.set $sai (i32.const 1)) (local.set $sap (local.get $lda)))
      (else (local.set $sai (local.get $lda)) (local.set $sap (i32.const 1))))
    (if (local.get $tb)
      (then (local.set $sbp (i32.const 1)) (local.set $sbj (local.get $ldb)))
      (else (local.set $sbp (local.get $ldb)) (local.set $sbj (i32.const 1))))
    (local.set $bp (local.get $scratch))
    (local.set $tile (i32.add (local.get $scratch) (i32.const ${4 * KC * NC})))
    (local.set $ap (i32.add (local.get $tile) (i32.const ${4 * MR * NR})))
    (local.set $jc (i32.const 0))
    (block $jdone (loop $jloop
      (br_if $jdone (i32.ge_s (local.get $jc) (local.get $n)))
      (local.set $nc (i32.sub (local.get $n) (local.get $jc)))
      (if (i32.gt_s (local.get $nc) (i32.const ${NC})) (then (local.set $nc (i32.const ${NC}))))
      (local.set $pc (i32.const 0))
      (block $pdone (loop $ploop
        (br_if $pdone (i32.ge_s (local.get $pc) (local.get $k)))
        (local.set $kc (i32.sub (local.get $k) (local.get $pc)))
        (if (i32.gt_s (local.get $kc) (i32.const ${KC})) (then (local.set $kc (i32.const ${KC}))))
        (call $packB (local.get $pB) (local.get $sbp) (local.get $sbj) (local.get $pc) (local.get $kc)
          (local.get $jc) (i32.add (local.get $jc) (local.get $nc)) (local.get $bp))
        (local.set $ic (local.get $r0))
        (block $idone (loop $iloop
          (br_if $idone (i32.ge_s (local.get $ic) (local.get $r1)))
          (local.set $mc (i32.sub (local.get $r1) (local.get $ic)))
          (if (i32.gt_s (local.get $mc) (i32.const ${MC})) (then (local.set $mc (i32.const ${MC}))))
          (if (local.get $ta) (then (call $packA (local.get $pA) (local.get $lda) (local.get $ic) (local.get $mc) (local.get $pc) (local.get $kc) (local.get $ap))))
          (local.set $jr (i32.const 0))
          (loop $jrloop
            (local.set $ir (i32.const 0))
            (loop $irloop
              (call $micro (local.get $kc)
                (if (result i32) (local.get $ta)
                  (then (i32.add (local.get $ap) (i32.shl (i32.mul (local.get $ir) (local.get $kc)) (i32.const 2))))
                  (else (i32.add (local.get $pA) (i32.shl (i32.add (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $sai))
                    (i32.mul (local.get $pc) (local.get $sap))) (i32.const 2)))))
                (select (i32.const 4) (i32.shl (local.get $sai) (i32.const 2)) (local.get $ta))
                (select (i32.const ${4 * MR}) (i32.shl (local.get $sap) (i32.const 2)) (local.get $ta))
                (i32.add (local.get $bp) (i32.shl (i32.mul (local.get $jr) (local.get $kc)) (i32.const 2)))
                (i32.add (local.get $pC) (i32.shl (i32.add
                  (i32.mul (i32.add (local.get $ic) (local.get $ir)) (local.get $ldc))
                  (i32.add (local.get $jc) (local.get $jr))) (i32.const 2)))
                (local.get $ldc)
                (select (i32.sub (local.get $mc) (local.get $ir)) (i32.const ${MR})
                  (i32.lt_s (i32.sub (local.get $mc) (local.get $ir)) (i32.const ${MR})))
                (select (i32.sub (local.get $nc) (local.get $jr)) (i32.const ${NR})
                  (i32.lt_s (i32.sub (local.get $nc) (local.get $jr)) (i32.const ${NR})))
                (i32.or (i32.gt_s (local.get $pc) (i32.const 0)) (local.get $accum))
                (local.get $tile))
              (local.set $ir (i32.add (local.get $ir) (i32.const ${MR})))
              (br_if $irloop (i32.lt_s (local.get $ir) (local.get $mc))))
            (local.set $jr (i32.add (local.get $jr) (i32.const ${NR})))
            (br_if $jrloop (i32.lt_s (local.get $jr) (local.get $nc))))
          (local.set $ic (i32.add (local.get $ic) (local.get $mc)))
          (br $iloop)))
        (local.set $pc (i32.add (local.get $pc) (local.get $kc)))
        (br $ploop)))
      (local.set $jc (i32.add (local.get $jc) (local.get $nc)))
      (br $jloop))))

  ;; batch entries [t0, t1), rows [r0, r1) of each; operand t starts at element offset offA[t] / offB[t]
  ;; (int32 arrays at pOffA / pOffB), output t at pC + 4*t*m*n. m, n > 0; k may be 0 (C is zeroed).
  (func (export "gemm") (param $ta i32) (param $tb i32) (param $m i32) (param $n i32) (param $k i32)
      (param $pA i32) (param $pB i32) (param $pC i32) (param $pOffA i32) (param $pOffB i32)
      (param $t0 i32) (param $t1 i32) (param $r0 i32) (param $r1 i32) (param $scratch i32)
    (local $t i32)
    (local.set $t (local.get $t0))
    (block $done (loop $batch
      (br_if $done (i32.ge_s (local.get $t) (local.get $t1)))
      (if (i32.eqz (local.get $k))
        (then (memory.fill
          (i32.add (local.get $pC) (i32.shl (i32.add (i32.mul (local.get $t) (i32.mul (local.get $m) (local.get $n)))
            (i32.mul (local.get $r0) (local.get $n))) (i32.const 2)))
          (i32.const 0)
          (i32.shl (i32.mul (i32.sub (local.get $r1) (local.get $r0)) (local.get $n)) (i32.const 2))))
        (else (call $gemmS (local.get $ta) (local.get $tb) (local.get $m) (local.get $n) (local.get $k)
          (i32.add (local.get $pA) (i32.shl (i32.load (i32.add (local.get $pOffA) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2)))
          (select (local.get $m) (local.get $k) (local.get $ta))
          (i32.add (local.get $pB) (i32.shl (i32.load (i32.add (local.get $pOffB) (i32.shl (local.get $t) (i32.const 2)))) (i32.const 2)))
          (select (local.get $k) (local.get $n) (local.get $tb))
          (i32.add (local.get $pC) (i32.shl (i32.mul (local.get $t) (i32.mul (local.get $m) (local.get $n))) (i32.const 2)))
          (local.get $n)
          (local.get $r0) (local.get $r1) (local.get $scratch) (i32.const 0))))
      (local.set $t (i32.add (local.get $t) (i32.const 1)))
      (br $batch))))
)
`;
}
