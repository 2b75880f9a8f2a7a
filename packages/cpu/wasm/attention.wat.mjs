// Attention and its gradient on the WebAssembly path: the addon's algorithm (native/cpu.cc, `Attention`) with
// this module's products ($gemmS) and f32x4 row loops. Per entry e (a batch entry and query head):
// P = softmax(where(mask, scale * Q K^T, -1e9)) row by row in a T x Sp block (Sp: S rounded up to 4, the padded
// lanes -inf before the softmax and 0 after, so vector loops run whole rows), out = P V. The gradient
// recomputes P; entries that share K and V form a group run by one thread in entry order (dK, dV sums do not
// depend on the thread count). exp is the addon's float `expNeg` (Cephes' expf, the same operations); row
// sums are in double.
//
// An entry whose rows of q, k, v and g are all finite (checked here, entry by entry, while they are about to be
// read anyway) runs RC query rows at a time, and each chunk stops at the last key any of its rows allows (a
// causal mask: about 60% of the work): the weights of the keys after it are exactly 0, so leaving them out
// changes only the order of the dk and dv sums. With a NaN or infinity it runs all T rows over all keys, so a 0
// weight times it still gives NaN, as in the reference.
//
// attention(...PARAMS, w0, w1, pP, scratch): entries [w0, w1) (groups, for the gradient), with the T x Sp
// blocks P (and dP after it) at pP and the products' packing scratch at `scratch`.

/** Rows per chunk where trailing masked keys are skipped. */
const RC = 32;

/** The job's parameters, in order (offsets: [q, k, v, out, mask] element offsets of each entry, five blocks). */
export const ATTENTION_PARAMS = ['grad', 'scaleBits', 'q', 'k', 'v', 'mask', 'g', 'out', 'offs', 'entries', 'T', 'S', 'd', 'dv',
  'qRow', 'kRow', 'vRow', 'oRow', 'maskRow', 'maskCol', 'nq', 'nk', 'groups', 'ngroups'];

const bits32 = (x) => {
  const b = new DataView(new ArrayBuffer(4));
  b.setFloat32(0, x);
  return `0x${b.getUint32(0).toString(16)}`;
};
const f32s = (x) => `(v128.const i32x4 ${Array(4).fill(bits32(x)).join(' ')})`; // exact float bits
const g = (n) => `(global.get $a_${n})`;
const l = (n) => `(local.get $${n})`;
/** Element offset `which` (0 q, 1 k, 2 v, 3 out, 4 mask) of entry `e`. */
const off = (which, e) => `(i32.load (i32.add ${g('offs')} (i32.shl (i32.add ${e} ${which ? `(i32.mul (i32.const ${which}) ${g('entries')})` : '(i32.const 0)'}) (i32.const 2))))`;
const fptr = (base, elems) => `(i32.add ${base} (i32.shl ${elems} (i32.const 2)))`;
/** The mask of 4 lanes from 4 bytes at `addr`: all ones where the byte is not 0. */
const mask4 = (addr) => `(i32x4.ne (i32x4.extend_low_i16x8_u (i16x8.extend_low_i8x16_u (v128.load32_zero ${addr}))) (v128.const i32x4 0 0 0 0))`;

function expNeg4() {
  const poly = [1.3981999507e-3, 8.3334519073e-3, 4.1665795894e-2, 1.6666665459e-1, 5.0000001201e-1];
  return `
  ;; Cephes' expf for x <= 0 as the addon's expNeg: 0 below -87
  (func $expNeg4 (param $x v128) (result v128)
    (local $xc v128) (local $v v128) (local $n v128) (local $r v128) (local $y v128)
    (local.set $xc (f32x4.max ${l('x')} ${f32s(-87)}))
    (local.set $v (f32x4.add (f32x4.mul ${l('xc')} ${f32s(1.44269504088896341)}) ${f32s(12582912)}))
    (local.set $n (f32x4.sub ${l('v')} ${f32s(12582912)}))
    (local.set $r (f32x4.sub (f32x4.sub ${l('xc')} (f32x4.mul ${l('n')} ${f32s(0.693359375)})) (f32x4.mul ${l('n')} ${f32s(-2.12194440e-4)})))
    (local.set $y ${f32s(1.9875691500e-4)})
    ${poly.map((c) => `(local.set $y (f32x4.add (f32x4.mul ${l('y')} ${l('r')}) ${f32s(c)}))`).join('\n    ')}
    (local.set $y (f32x4.add (f32x4.add (f32x4.mul ${l('y')} (f32x4.mul ${l('r')} ${l('r')})) ${l('r')}) ${f32s(1)}))
    (v128.bitselect (v128.const i32x4 0 0 0 0)
      (f32x4.mul ${l('y')} (i32x4.shl (i32x4.add (i32x4.sub ${l('v')} (v128.const i32x4 0x4b400000 0x4b400000 0x4b400000 0x4b400000))
        (v128.const i32x4 127 127 127 127)) (i32.const 23)))
      (f32x4.lt ${l('x')} ${f32s(-87)})))`;
}

/** Horizontal sum of a double pair vector. */
const hsum2 = (v) => `(f64.add (f64x2.extract_lane 0 ${v}) (f64x2.extract_lane 1 ${v}))`;

export function attentionWat() {
  const globals = ATTENTION_PARAMS.filter((p) => p !== 'scaleBits').map((p) => `(global $a_${p} (mut i32) (i32.const 0))`);
  return `
  ${globals.join('\n  ')}
  (global $a_scale (mut f32) (f32.const 0))
  (global $a_Sp (mut i32) (i32.const 0))
  (global $a_rc (mut i32) (i32.const 0))
  (global $a_skip (mut i32) (i32.const 0))
  (global $a_P (mut i32) (i32.const 0))
  (global $a_dP (mut i32) (i32.const 0))
  (global $a_scratch (mut i32) (i32.const 0))
  ${expNeg4()}

  ;; a row's first n scores in place: scaled, masked (mc 1: a byte per key; 0: one byte for the row), softmaxed
  ;; (the lanes up to n rounded to 4 are -inf, then 0)
  (func $softRow (param $row i32) (param $m i32) (param $mc i32) (param $n i32)
    (local $j i32) (local $v v128) (local $mx v128) (local $sum v128) (local $e v128) (local $s f64) (local $x f32)
    (local $Sp4 i32)
    (local.set $Sp4 (i32.shl (i32.and (i32.add ${l('n')} (i32.const 3)) (i32.const -4)) (i32.const 2)))
    (local.set $j (i32.const 0))
    (loop $scale
      (local.set $v (f32x4.mul (v128.load (i32.add ${l('row')} ${l('j')})) (f32x4.splat ${g('scale')})))
      (if (local.get $mc)
        (then (local.set $v (v128.bitselect ${l('v')} ${f32s(-1e9)} ${mask4(`(i32.add ${l('m')} (i32.shr_u ${l('j')} (i32.const 2)))`)})))
        (else (if (i32.eqz (i32.load8_u ${l('m')})) (then (local.set $v ${f32s(-1e9)})))))
      (v128.store (i32.add ${l('row')} ${l('j')}) ${l('v')})
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $scale (i32.lt_u ${l('j')} ${l('Sp4')})))
    ;; padded lanes out of the max and the sum
    (local.set $j ${l('n')})
    (block $pd (loop $pad
      (br_if $pd (i32.ge_u (i32.shl ${l('j')} (i32.const 2)) ${l('Sp4')}))
      (f32.store ${fptr(l('row'), l('j'))} (f32.const -inf))
      (local.set $j (i32.add ${l('j')} (i32.const 1)))
      (br $pad)))
    (local.set $mx ${f32s(-Infinity)})
    (local.set $j (i32.const 0))
    (loop $max
      (local.set $mx (f32x4.pmax ${l('mx')} (v128.load (i32.add ${l('row')} ${l('j')}))))
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $max (i32.lt_u ${l('j')} ${l('Sp4')})))
    (local.set $x (f32x4.extract_lane 0 ${l('mx')}))
    (if (f32.gt (f32x4.extract_lane 1 ${l('mx')}) ${l('x')}) (then (local.set $x (f32x4.extract_lane 1 ${l('mx')}))))
    (if (f32.gt (f32x4.extract_lane 2 ${l('mx')}) ${l('x')}) (then (local.set $x (f32x4.extract_lane 2 ${l('mx')}))))
    (if (f32.gt (f32x4.extract_lane 3 ${l('mx')}) ${l('x')}) (then (local.set $x (f32x4.extract_lane 3 ${l('mx')}))))
    (local.set $mx (f32x4.splat ${l('x')}))
    (local.set $sum (v128.const i32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (loop $exp
      (local.set $e (call $expNeg4 (f32x4.sub (v128.load (i32.add ${l('row')} ${l('j')})) ${l('mx')})))
      (v128.store (i32.add ${l('row')} ${l('j')}) ${l('e')})
      (local.set $sum (f64x2.add ${l('sum')} (f64x2.add (f64x2.promote_low_f32x4 ${l('e')})
        (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${l('e')} ${l('e')})))))
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $exp (i32.lt_u ${l('j')} ${l('Sp4')})))
    (local.set $v (f32x4.splat (f32.demote_f64 (f64.div (f64.const 1) ${hsum2(l('sum'))}))))
    (local.set $j (i32.const 0))
    (loop $norm
      (v128.store (i32.add ${l('row')} ${l('j')}) (f32x4.mul (v128.load (i32.add ${l('row')} ${l('j')})) ${l('v')}))
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $norm (i32.lt_u ${l('j')} ${l('Sp4')}))))

  ;; dScores of a row's first n columns in place of dP: scale * (p * (dp - sum_j p dp)) where the mask allows, else 0
  (func $gradRow (param $p i32) (param $r i32) (param $m i32) (param $mc i32) (param $n i32)
    (local $j i32) (local $a v128) (local $b v128) (local $acc v128) (local $rs v128) (local $v v128) (local $Sp4 i32)
    (local.set $Sp4 (i32.shl (i32.and (i32.add ${l('n')} (i32.const 3)) (i32.const -4)) (i32.const 2)))
    (local.set $j ${l('n')})
    (block $pd (loop $pad
      (br_if $pd (i32.ge_u (i32.shl ${l('j')} (i32.const 2)) ${l('Sp4')}))
      (f32.store ${fptr(l('r'), l('j'))} (f32.const 0))
      (local.set $j (i32.add ${l('j')} (i32.const 1)))
      (br $pad)))
    (local.set $acc (v128.const i32x4 0 0 0 0))
    (local.set $j (i32.const 0))
    (loop $dot
      (local.set $a (v128.load (i32.add ${l('p')} ${l('j')})))
      (local.set $b (v128.load (i32.add ${l('r')} ${l('j')})))
      (local.set $acc (f64x2.add ${l('acc')} (f64x2.add
        (f64x2.mul (f64x2.promote_low_f32x4 ${l('a')}) (f64x2.promote_low_f32x4 ${l('b')}))
        (f64x2.mul (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${l('a')} ${l('a')}))
          (f64x2.promote_low_f32x4 (i8x16.shuffle 8 9 10 11 12 13 14 15 0 1 2 3 4 5 6 7 ${l('b')} ${l('b')}))))))
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $dot (i32.lt_u ${l('j')} ${l('Sp4')})))
    (local.set $rs (f32x4.splat (f32.demote_f64 ${hsum2(l('acc'))})))
    (local.set $j (i32.const 0))
    (loop $ds
      (local.set $v (f32x4.mul (f32x4.splat ${g('scale')}) (f32x4.mul (v128.load (i32.add ${l('p')} ${l('j')}))
        (f32x4.sub (v128.load (i32.add ${l('r')} ${l('j')})) ${l('rs')}))))
      (if (local.get $mc)
        (then (local.set $v (v128.and ${l('v')} ${mask4(`(i32.add ${l('m')} (i32.shr_u ${l('j')} (i32.const 2)))`)})))
        (else (if (i32.eqz (i32.load8_u ${l('m')})) (then (local.set $v (v128.const i32x4 0 0 0 0))))))
      (v128.store (i32.add ${l('r')} ${l('j')}) ${l('v')})
      (local.set $j (i32.add ${l('j')} (i32.const 16)))
      (br_if $ds (i32.lt_u ${l('j')} ${l('Sp4')}))))

  ;; how many leading keys row i of entry e needs: up to its last allowed key, or all of them when it allows none
  ;; (its weights are then uniform) or the mask is one byte per row
  (func $need (param $e i32) (param $i i32) (result i32)
    (local $row i32) (local $j i32)
    (if (i32.eqz ${g('maskCol')}) (then (return ${g('S')})))
    (local.set $row (i32.add (i32.add ${g('mask')} ${off(4, l('e'))}) (i32.mul ${l('i')} ${g('maskRow')})))
    (local.set $j ${g('S')})
    (block $found (loop $vec
      (br_if $found (i32.lt_u ${l('j')} (i32.const 16)))
      (br_if $found (v128.any_true (v128.load (i32.sub (i32.add ${l('row')} ${l('j')}) (i32.const 16)))))
      (local.set $j (i32.sub ${l('j')} (i32.const 16)))
      (br $vec)))
    (block $none (loop $scalar
      (br_if $none (i32.eqz ${l('j')}))
      (local.set $j (i32.sub ${l('j')} (i32.const 1)))
      (if (i32.load8_u (i32.add ${l('row')} ${l('j')})) (then (return (i32.add ${l('j')} (i32.const 1)))))
      (br $scalar)))
    ${g('S')})

  ;; the keys rows [i0, i0 + rc) of entry e need (all of them unless keys may be skipped)
  (func $cols (param $e i32) (param $i0 i32) (param $rc i32) (result i32)
    (local $i i32) (local $n i32) (local $r i32)
    (if (i32.eqz ${g('skip')}) (then (return ${g('S')})))
    (local.set $i ${l('i0')})
    (loop $rows
      (local.set $r (call $need ${l('e')} ${l('i')}))
      (if (i32.gt_u ${l('r')} ${l('n')}) (then (local.set $n ${l('r')})))
      (local.set $i (i32.add ${l('i')} (i32.const 1)))
      (br_if $rows (i32.and (i32.lt_u ${l('i')} (i32.add ${l('i0')} ${l('rc')})) (i32.lt_u ${l('n')} ${g('S')}))))
    ${l('n')})

  ;; rows [i0, i0 + rc) of entry e's weights, their first kc columns, into P
  (func $weights (param $e i32) (param $i0 i32) (param $rc i32) (param $kc i32)
    (local $i i32)
    (call $gemmS (i32.const 0) (i32.const 1) ${l('rc')} ${l('kc')} ${g('d')} ${fptr(g('q'), `(i32.add ${off(0, l('e'))} (i32.mul ${l('i0')} ${g('qRow')}))`)} ${g('qRow')}
      ${fptr(g('k'), off(1, l('e')))} ${g('kRow')} ${fptr(g('P'), `(i32.mul ${l('i0')} ${g('Sp')})`)} ${g('Sp')} (i32.const 0) ${l('rc')} ${g('scratch')} (i32.const 0))
    (local.set $i ${l('i0')})
    (loop $rows
      (call $softRow ${fptr(g('P'), `(i32.mul ${l('i')} ${g('Sp')})`)}
        (i32.add (i32.add ${g('mask')} ${off(4, l('e'))}) (i32.mul ${l('i')} ${g('maskRow')})) ${g('maskCol')} ${l('kc')})
      (local.set $i (i32.add ${l('i')} (i32.const 1)))
      (br_if $rows (i32.lt_u ${l('i')} (i32.add ${l('i0')} ${l('rc')})))))

  ;; entry e, RC rows at a time (all T when keys cannot be skipped), each chunk over the keys it needs
  (func $forward (param $e i32)
    (local $i0 i32) (local $rc i32) (local $kc i32)
    (call $entrySkip ${l('e')} (i32.const 0))
    (loop $chunks
      (local.set $rc (select (i32.sub ${g('T')} ${l('i0')}) ${g('rc')} (i32.lt_u (i32.sub ${g('T')} ${l('i0')}) ${g('rc')})))
      (local.set $kc (call $cols ${l('e')} ${l('i0')} ${l('rc')}))
      (call $weights ${l('e')} ${l('i0')} ${l('rc')} ${l('kc')})
      (call $gemmS (i32.const 0) (i32.const 0) ${l('rc')} ${g('dv')} ${l('kc')} ${fptr(g('P'), `(i32.mul ${l('i0')} ${g('Sp')})`)} ${g('Sp')}
        ${fptr(g('v'), off(2, l('e')))} ${g('vRow')} ${fptr(g('out'), `(i32.add ${off(3, l('e'))} (i32.mul ${l('i0')} ${g('oRow')}))`)} ${g('oRow')}
        (i32.const 0) ${l('rc')} ${g('scratch')} (i32.const 0))
      (local.set $i0 (i32.add ${l('i0')} ${l('rc')}))
      (br_if $chunks (i32.lt_u ${l('i0')} ${g('T')}))))

  ;; cols floats of each of S rows (row stride ld) at p := 0
  (func $zeroRows (param $p i32) (param $ld i32) (param $cols i32)
    (local $s i32)
    (loop $rows
      (memory.fill ${fptr(l('p'), `(i32.mul ${l('s')} ${l('ld')})`)} (i32.const 0) (i32.shl ${l('cols')} (i32.const 2)))
      (local.set $s (i32.add ${l('s')} (i32.const 1)))
      (br_if $rows (i32.lt_u ${l('s')} ${g('S')}))))

  ;; entry e's share of the gradient [dq, dk, dv], chunk by chunk as the forward; the first entry of a group
  ;; ($acc 0) clears the group's dk and dv, which every chunk then adds to
  (func $backward (param $e i32) (param $acc i32)
    (local $i0 i32) (local $rc i32) (local $kc i32) (local $i i32) (local $G i32) (local $dK i32) (local $dV i32)
    (local $Pc i32) (local $dPc i32)
    (call $entrySkip ${l('e')} (i32.const 1))
    (local.set $dK ${fptr(g('out'), `(i32.add ${g('nq')} ${off(1, l('e'))})`)})
    (local.set $dV ${fptr(g('out'), `(i32.add (i32.add ${g('nq')} ${g('nk')}) ${off(2, l('e'))})`)})
    (if (i32.eqz ${l('acc')}) (then
      (call $zeroRows ${l('dK')} ${g('kRow')} ${g('d')})
      (call $zeroRows ${l('dV')} ${g('vRow')} ${g('dv')})))
    (loop $chunks
      (local.set $rc (select (i32.sub ${g('T')} ${l('i0')}) ${g('rc')} (i32.lt_u (i32.sub ${g('T')} ${l('i0')}) ${g('rc')})))
      (local.set $kc (call $cols ${l('e')} ${l('i0')} ${l('rc')}))
      (local.set $G ${fptr(g('g'), `(i32.add ${off(3, l('e'))} (i32.mul ${l('i0')} ${g('oRow')}))`)})
      (local.set $Pc ${fptr(g('P'), `(i32.mul ${l('i0')} ${g('Sp')})`)})
      (local.set $dPc ${fptr(g('dP'), `(i32.mul ${l('i0')} ${g('Sp')})`)})
      (call $weights ${l('e')} ${l('i0')} ${l('rc')} ${l('kc')})
      (call $gemmS (i32.const 1) (i32.const 0) ${l('kc')} ${g('dv')} ${l('rc')} ${l('Pc')} ${g('Sp')} ${l('G')} ${g('oRow')}
        ${l('dV')} ${g('vRow')} (i32.const 0) ${l('kc')} ${g('scratch')} (i32.const 1))
      (call $gemmS (i32.const 0) (i32.const 1) ${l('rc')} ${l('kc')} ${g('dv')} ${l('G')} ${g('oRow')} ${fptr(g('v'), off(2, l('e')))} ${g('vRow')}
        ${l('dPc')} ${g('Sp')} (i32.const 0) ${l('rc')} ${g('scratch')} (i32.const 0))
      (local.set $i ${l('i0')})
      (loop $rows
        (call $gradRow ${fptr(g('P'), `(i32.mul ${l('i')} ${g('Sp')})`)} ${fptr(g('dP'), `(i32.mul ${l('i')} ${g('Sp')})`)}
          (i32.add (i32.add ${g('mask')} ${off(4, l('e'))}) (i32.mul ${l('i')} ${g('maskRow')})) ${g('maskCol')} ${l('kc')})
        (local.set $i (i32.add ${l('i')} (i32.const 1)))
        (br_if $rows (i32.lt_u ${l('i')} (i32.add ${l('i0')} ${l('rc')}))))
      (call $gemmS (i32.const 0) (i32.const 0) ${l('rc')} ${g('d')} ${l('kc')} ${l('dPc')} ${g('Sp')} ${fptr(g('k'), off(1, l('e')))} ${g('kRow')}
        ${fptr(g('out'), `(i32.add ${off(0, l('e'))} (i32.mul ${l('i0')} ${g('qRow')}))`)} ${g('qRow')} (i32.const 0) ${l('rc')} ${g('scratch')} (i32.const 0))
      (call $gemmS (i32.const 1) (i32.const 0) ${l('kc')} ${g('d')} ${l('rc')} ${l('dPc')} ${g('Sp')}
        ${fptr(g('q'), `(i32.add ${off(0, l('e'))} (i32.mul ${l('i0')} ${g('qRow')}))`)} ${g('qRow')}
        ${l('dK')} ${g('kRow')} (i32.const 0) ${l('kc')} ${g('scratch')} (i32.const 1))
      (local.set $i0 (i32.add ${l('i0')} ${l('rc')}))
      (br_if $chunks (i32.lt_u ${l('i0')} ${g('T')}))))

  ;; 1 when the n floats at p are all finite (keys may then be skipped: a weight of exactly 0 times a finite
  ;; value adds nothing, where times an infinity or NaN it would add NaN)
  (func $finite (param $p i32) (param $n i32) (result i32)
    (local $i i32) (local $ok v128) (local $end i32)
    (local.set $ok (v128.const i32x4 -1 -1 -1 -1))
    (local.set $end (i32.shl (i32.and ${l('n')} (i32.const -4)) (i32.const 2)))
    (block $vd (loop $v
      (br_if $vd (i32.ge_u ${l('i')} ${l('end')}))
      (local.set $ok (v128.and ${l('ok')} (f32x4.lt (f32x4.abs (v128.load (i32.add ${l('p')} ${l('i')}))) ${f32s(Infinity)})))
      (local.set $i (i32.add ${l('i')} (i32.const 16)))
      (br $vd)))
    (block $sd (loop $s
      (br_if $sd (i32.ge_u ${l('i')} (i32.shl ${l('n')} (i32.const 2))))
      (if (i32.eqz (f32.lt (f32.abs (f32.load (i32.add ${l('p')} ${l('i')}))) (f32.const inf))) (then (return (i32.const 0))))
      (local.set $i (i32.add ${l('i')} (i32.const 4)))
      (br $s)))
    (i32x4.all_true ${l('ok')}))

  ;; 1 when the first n floats of each of the rows at p (ld floats apart) are all finite
  (func $finiteRows (param $p i32) (param $rows i32) (param $n i32) (param $ld i32) (result i32)
    (local $r i32)
    (loop $rl
      (if (i32.eqz (call $finite ${l('p')} ${l('n')})) (then (return (i32.const 0))))
      (local.set $p ${fptr(l('p'), l('ld'))})
      (local.set $r (i32.add ${l('r')} (i32.const 1)))
      (br_if $rl (i32.lt_u ${l('r')} ${l('rows')})))
    (i32.const 1))

  ;; whether entry e may skip keys (its q, k, v and, for the gradient, g rows all finite), and its chunk rows
  (func $entrySkip (param $e i32) (param $grad i32)
    (global.set $a_skip (i32.and
      (i32.and (call $finiteRows ${fptr(g('q'), off(0, l('e')))} ${g('T')} ${g('d')} ${g('qRow')})
        (call $finiteRows ${fptr(g('k'), off(1, l('e')))} ${g('S')} ${g('d')} ${g('kRow')}))
      (i32.and (call $finiteRows ${fptr(g('v'), off(2, l('e')))} ${g('S')} ${g('dv')} ${g('vRow')})
        (if (result i32) ${l('grad')} (then (call $finiteRows ${fptr(g('g'), off(3, l('e')))} ${g('T')} ${g('dv')} ${g('oRow')})) (else (i32.const 1))))))
    (global.set $a_rc (select (i32.const ${RC}) ${g('T')} ${g('skip')})))

  (func (export "attention") ${ATTENTION_PARAMS.map((p) => `(param $${p} i32)`).join(' ')}
      (param $w0 i32) (param $w1 i32) (param $pP i32) (param $scratch i32)
    (local $w i32) (local $i i32) (local $end i32)
    ${ATTENTION_PARAMS.filter((p) => p !== 'scaleBits').map((p) => `(global.set $a_${p} ${l(p)})`).join(' ')}
    (global.set $a_scale (f32.reinterpret_i32 ${l('scaleBits')}))
    (global.set $a_Sp (i32.and (i32.add ${l('S')} (i32.const 3)) (i32.const -4)))
    (global.set $a_P ${l('pP')})
    (global.set $a_dP ${fptr(l('pP'), `(i32.mul ${l('T')} ${g('Sp')})`)})
    (global.set $a_scratch ${l('scratch')})
    (local.set $w ${l('w0')})
    (block $done (loop $jobs
      (br_if $done (i32.ge_u ${l('w')} ${l('w1')}))
      (if ${l('grad')}
        (then
          ;; group w: its entries in order, the first one starting the group's dk and dv
          (local.set $i (i32.load ${fptr(l('groups'), l('w'))}))
          (local.set $end (i32.load ${fptr(l('groups'), `(i32.add ${l('w')} (i32.const 1))`)}))
          (loop $entries
            (call $backward (i32.load ${fptr(l('groups'), `(i32.add (i32.add ${l('ngroups')} (i32.const 1)) ${l('i')})`)})
              (i32.ne ${l('i')} (i32.load ${fptr(l('groups'), l('w'))})))
            (local.set $i (i32.add ${l('i')} (i32.const 1)))
            (br_if $entries (i32.lt_u ${l('i')} ${l('end')}))))
        (else (call $forward ${l('w')})))
      (local.set $w (i32.add ${l('w')} (i32.const 1)))
      (br $jobs))))`;
}
