// Rotate-half RoPE in one pass on the WebAssembly path (the addon's `rope` in native/cpu.cc, in f32x4):
// out = x * cos + rotate_half(x) * sin, row by row of the last dim, with the decomposition's float operations in
// its order (mul, mul, add of the rotated copy), so the same bits as the composition.
//
// rope(x, cos, sin, out, shape, cosStrides, sinStrides, rank, r0, r1, scratch): rows [r0, r1) of x (rows of the
// last dim D, D even); shape and the tables' strides (0 where broadcast) are int32 arrays of `rank` entries.

const get = (n) => `(local.get $${n})`;
const at = (table, i) => `(i32.load (i32.add ${get(table)} (i32.shl ${i} (i32.const 2))))`;
const f = (base, j) => `(i32.add ${get(base)} (i32.shl ${j} (i32.const 2)))`;

export function ropeWat() {
  return `
  (func (export "rope") (param $x i32) (param $c i32) (param $s i32) (param $o i32) (param $shape i32) (param $cst i32)
      (param $sst i32) (param $rank i32) (param $r0 i32) (param $r1 i32) (param $scratch i32)
    (local $D i32) (local $h i32) (local $cl i32) (local $sl i32) (local $r i32) (local $rem i32) (local $d i32)
    (local $dim i32) (local $dig i32) (local $co i32) (local $so i32) (local $xr i32) (local $or i32) (local $cr i32)
    (local $sr i32) (local $j i32) (local $rot f32)
    (local.set $D ${at('shape', '(i32.sub (local.get $rank) (i32.const 1))')})
    (local.set $h (i32.shr_u (local.get $D) (i32.const 1)))
    (local.set $cl ${at('cst', '(i32.sub (local.get $rank) (i32.const 1))')})
    (local.set $sl ${at('sst', '(i32.sub (local.get $rank) (i32.const 1))')})
    (local.set $r (local.get $r0))
    (block $done (loop $rows
      (br_if $done (i32.ge_u (local.get $r) (local.get $r1)))
      ;; the tables' offsets: the row's digits over the leading dims
      (local.set $co (i32.const 0))
      (local.set $so (i32.const 0))
      (local.set $rem (local.get $r))
      (local.set $d (i32.sub (local.get $rank) (i32.const 2)))
      (block $dd (loop $dl
        (br_if $dd (i32.lt_s (local.get $d) (i32.const 0)))
        (local.set $dim ${at('shape', get('d'))})
        (local.set $dig (i32.rem_u (local.get $rem) (local.get $dim)))
        (local.set $rem (i32.div_u (local.get $rem) (local.get $dim)))
        (local.set $co (i32.add (local.get $co) (i32.mul (local.get $dig) ${at('cst', get('d'))})))
        (local.set $so (i32.add (local.get $so) (i32.mul (local.get $dig) ${at('sst', get('d'))})))
        (local.set $d (i32.sub (local.get $d) (i32.const 1)))
        (br $dl)))
      (local.set $xr (i32.add (local.get $x) (i32.shl (i32.mul (local.get $r) (local.get $D)) (i32.const 2))))
      (local.set $or (i32.add (local.get $o) (i32.shl (i32.mul (local.get $r) (local.get $D)) (i32.const 2))))
      (local.set $cr (i32.add (local.get $c) (i32.shl (local.get $co) (i32.const 2))))
      (local.set $sr (i32.add (local.get $s) (i32.shl (local.get $so) (i32.const 2))))
      (local.set $j (i32.const 0))
      (if (i32.and (i32.and (i32.eq (local.get $cl) (i32.const 1)) (i32.eq (local.get $sl) (i32.const 1)))
          (i32.eqz (i32.and (local.get $h) (i32.const 3))))
        (then
          (block $vd (loop $v
            (br_if $vd (i32.ge_u (local.get $j) (local.get $h)))
            (v128.store ${f('or', get('j'))} (f32x4.add
              (f32x4.mul (v128.load ${f('xr', get('j'))}) (v128.load ${f('cr', get('j'))}))
              (f32x4.mul (f32x4.neg (v128.load ${f('xr', '(i32.add (local.get $j) (local.get $h))')})) (v128.load ${f('sr', get('j'))}))))
            (v128.store ${f('or', '(i32.add (local.get $j) (local.get $h))')} (f32x4.add
              (f32x4.mul (v128.load ${f('xr', '(i32.add (local.get $j) (local.get $h))')}) (v128.load ${f('cr', '(i32.add (local.get $j) (local.get $h))')}))
              (f32x4.mul (v128.load ${f('xr', get('j'))}) (v128.load ${f('sr', '(i32.add (local.get $j) (local.get $h))')}))))
            (local.set $j (i32.add (local.get $j) (i32.const 4)))
            (br $v))))
        (else
          (block $sd (loop $sc
            (br_if $sd (i32.ge_u (local.get $j) (local.get $D)))
            (local.set $rot (if (result f32) (i32.lt_u (local.get $j) (local.get $h))
              (then (f32.neg (f32.load ${f('xr', '(i32.add (local.get $j) (local.get $h))')})))
              (else (f32.load ${f('xr', '(i32.sub (local.get $j) (local.get $h))')}))))
            (f32.store ${f('or', get('j'))} (f32.add
              (f32.mul (f32.load ${f('xr', get('j'))}) (f32.load ${f('cr', '(i32.mul (local.get $j) (local.get $cl))')}))
              (f32.mul (local.get $rot) (f32.load ${f('sr', '(i32.mul (local.get $j) (local.get $sl))')}))))
            (local.set $j (i32.add (local.get $j) (i32.const 1)))
            (br $sc)))))
      (local.set $r (i32.add (local.get $r) (i32.const 1)))
      (br $rows))))`;
}
