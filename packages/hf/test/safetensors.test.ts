import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { mkdtemp, readdir, readFile, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { after, describe, test } from 'node:test';
import * as E from 'fp-ts/lib/Either.js';
import fc from 'fast-check';
import { bf16Bits } from '@safekey-ts/core';
import { expectTensor, f16BitsToNumber, numberToF16Bits, parseSafetensors, readSafetensorsFile, serializeSafetensors, writeFileAtomic, writeSafetensorsFile, type CheckpointError, type Safetensors } from '@safekey-ts/hf';

const unwrap = <A>(r: E.Either<{ message: string }, A>): A => {
  if (E.isLeft(r)) throw new Error(r.left.message);
  return r.right;
};
const leftOf = <A>(r: E.Either<CheckpointError, A>): CheckpointError => {
  if (E.isRight(r)) throw new Error('expected a Left');
  return r.left;
};

/** A safetensors file from a header object and raw data bytes (the header is used exactly as given). */
function rawFile(header: unknown, data: ArrayLike<number> = [], headerText = JSON.stringify(header)): Uint8Array {
  const json = new TextEncoder().encode(headerText);
  const out = new Uint8Array(8 + json.length + data.length);
  new DataView(out.buffer).setBigUint64(0, BigInt(json.length), true);
  out.set(json, 8);
  out.set(Array.from(data), 8 + json.length);
  return out;
}
const u16le = (...xs: number[]) => xs.flatMap((x) => [x & 0xff, x >> 8]);

describe('safetensors round trip', () => {
  test('serialize then parse gives back names, dtypes, shapes, values and metadata', () => {
    const f32 = Float32Array.from([1.5, -2, 3.25, Math.fround(0.1), 0, -0, Infinity, -Infinity]);
    const bytes = serializeSafetensors({
      'z.weight': { dtype: 'F32', shape: [2, 4], data: f32 },
      'a.ids': { dtype: 'I32', shape: [3], data: [1, -2, 2147483647] },
      'm.i64': { dtype: 'I64', shape: [2], data: [-5, 7] },
      'h.f64': { dtype: 'F64', shape: [1, 1], data: [Math.PI] },
      'empty': { dtype: 'F32', shape: [0, 3], data: [] },
      'scalar': { dtype: 'F32', shape: [], data: [42] },
    }, { format: 'pt', step: '12' });
    assert.equal(new DataView(bytes.buffer).getBigUint64(0, true) % 8n, 0n);
    const { tensors, metadata } = unwrap(parseSafetensors(bytes, 'rt.safetensors'));
    assert.deepEqual(metadata, { format: 'pt', step: '12' });
    assert.deepEqual([...tensors.keys()].sort(), ['a.ids', 'empty', 'h.f64', 'm.i64', 'scalar', 'z.weight']);
    assert.deepEqual(tensors.get('z.weight'), { dtype: 'F32', shape: [2, 4], data: f32 });
    assert.deepEqual(tensors.get('a.ids'), { dtype: 'I32', shape: [3], data: Int32Array.from([1, -2, 2147483647]) });
    assert.deepEqual(tensors.get('m.i64'), { dtype: 'I64', shape: [2], data: Int32Array.from([-5, 7]) });
    assert.deepEqual(tensors.get('h.f64'), { dtype: 'F64', shape: [1, 1], data: Float64Array.from([Math.PI]) });
    assert.deepEqual(tensors.get('empty')!.shape, [0, 3]);
    assert.deepEqual(tensors.get('scalar')!.data, Float32Array.from([42]));
    // Sorted-name order in the data region.
    const header = JSON.parse(new TextDecoder().decode(bytes.subarray(8, 8 + Number(new DataView(bytes.buffer).getBigUint64(0, true)))));
    assert.deepEqual(header['a.ids'].data_offsets, [0, 12]);
  });

  test('property: any F32 tensors survive a round trip bit for bit', () => {
    const tensorArb = fc.tuple(fc.integer({ min: 0, max: 4 }), fc.integer({ min: 1, max: 5 }))
      .chain(([r, c]) => fc.array(fc.float({ noNaN: true }), { minLength: r * c, maxLength: r * c }).map((v) => ({ shape: [r, c], v })));
    fc.assert(fc.property(fc.dictionary(fc.string({ minLength: 1, maxLength: 8 }).filter((s) => s !== '__metadata__'), tensorArb, { maxKeys: 5 }), (dict) => {
      const input = Object.fromEntries(Object.entries(dict).map(([k, t]) => [k, { dtype: 'F32' as const, shape: t.shape, data: Float32Array.from(t.v) }]));
      const { tensors } = unwrap(parseSafetensors(serializeSafetensors(input), 'p.safetensors'));
      for (const [k, t] of Object.entries(input)) assert.deepEqual(tensors.get(k)!.data, t.data);
      assert.equal(tensors.size, Object.keys(input).length);
    }), { numRuns: 100 });
  });

  test('F16 and BF16 written from floats round to nearest even and read back exactly', () => {
    const values = [1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, 1 / 3, 70000, -Infinity];
    const { tensors } = unwrap(parseSafetensors(serializeSafetensors({
      h: { dtype: 'F16', shape: [values.length], data: values },
      b: { dtype: 'BF16', shape: [values.length], data: values },
    }), 'half.safetensors'));
    assert.deepEqual(Array.from(tensors.get('h')!.data), [1, -2, 0.5, 65504, 2 ** -24, 2 ** -14, 0.333251953125, Infinity, -Infinity]);
    assert.deepEqual(Array.from(tensors.get('b')!.data), [1, -2, 0.5, 65536, 2 ** -24, 2 ** -14, 0.333984375, 70144, -Infinity]);
    // Every F16 bit pattern survives number -> F16 bits (NaN aside).
    for (let bits = 0; bits < 65536; bits++) {
      const x = f16BitsToNumber(bits);
      if (!Number.isNaN(x)) assert.equal(numberToF16Bits(x), bits, `0x${bits.toString(16)}`);
    }
    assert.ok(Number.isNaN(f16BitsToNumber(numberToF16Bits(NaN))));
    assert.equal(bf16Bits(1 + 2 ** -8), 0x3f80); // a tie rounds to even
    assert.equal(bf16Bits(1 + 3 * 2 ** -8), 0x3f82);
  });

  test('writeSafetensorsFile / readSafetensorsFile via an atomic write', async () => {
    const dir = await mkdtemp(join(tmpdir(), 'safekey-st-'));
    try {
      const path = join(dir, 'w.safetensors');
      unwrap(await writeSafetensorsFile(path, { w: { dtype: 'F32', shape: [2], data: [1, 2] } }));
      unwrap(await writeSafetensorsFile(path, { w: { dtype: 'F32', shape: [3], data: [1, 2, 3] } }));
      const { tensors } = unwrap(await readSafetensorsFile(path));
      assert.deepEqual(tensors.get('w')!.shape, [3]);
      assert.deepEqual(await readdir(dir), ['w.safetensors']); // no temp files left behind
      const missing = await readSafetensorsFile(join(dir, 'nope.safetensors'));
      assert.match(leftOf(missing).message, /nope\.safetensors: no such file or directory \(ENOENT\)$/);
      const bad = await writeFileAtomic(join(dir, 'no-such-dir', 'x.bin'), new Uint8Array(1));
      assert.ok(E.isLeft(bad) && bad.left.message.includes('no-such-dir'));
      assert.deepEqual(await readdir(dir), ['w.safetensors']);
      unwrap(await writeFileAtomic(join(dir, 't.txt'), 'hello'));
      assert.equal(await readFile(join(dir, 't.txt'), 'utf8'), 'hello');
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  test('serialize rejects inconsistent input, naming the tensor', () => {
    assert.throws(() => serializeSafetensors({ w: { dtype: 'F32', shape: [4], data: [1, 2, 3] } }), /tensor 'w': 3 values but shape \[4\] needs 4/);
    assert.throws(() => serializeSafetensors({ ids: { dtype: 'I32', shape: [1], data: [1.5] } }), /tensor 'ids': value 1.5 at index 0 is not a I32 integer/);
    assert.throws(() => serializeSafetensors({ __metadata__: { dtype: 'F32', shape: [0], data: [] } }), /reserved/);
  });
});

describe('safetensors decoding', () => {
  test('F16 bit patterns decode to the exact floats (normal, subnormal, zero, inf, NaN)', () => {
    const bits = [0x3c00, 0xc000, 0x3555, 0x7bff, 0x0001, 0x03ff, 0x0400, 0x8000, 0x7c00, 0xfc00, 0x7e00];
    const { tensors } = unwrap(parseSafetensors(rawFile({ h: { dtype: 'F16', shape: [bits.length], data_offsets: [0, 2 * bits.length] } }, u16le(...bits)), 'f16.safetensors'));
    const got = Array.from(tensors.get('h')!.data);
    assert.ok(tensors.get('h')!.data instanceof Float32Array);
    assert.deepEqual(got.slice(0, 10), [1, -2, 0.333251953125, 65504, 2 ** -24, 1023 * 2 ** -24, 2 ** -14, -0, Infinity, -Infinity]);
    assert.ok(Object.is(got[7], -0));
    assert.ok(Number.isNaN(got[10]));
  });

  test('BF16 bit patterns decode to the exact floats', () => {
    const bits = [0x3f80, 0xc000, 0x4049, 0x0001, 0x7f80, 0xff80, 0x8000, 0x7fc0];
    const { tensors } = unwrap(parseSafetensors(rawFile({ b: { dtype: 'BF16', shape: [2, 4], data_offsets: [0, 16] } }, u16le(...bits)), 'bf16.safetensors'));
    const got = Array.from(tensors.get('b')!.data);
    assert.deepEqual(got.slice(0, 7), [1, -2, 3.140625, 2 ** -133, Infinity, -Infinity, -0]);
    assert.ok(Number.isNaN(got[7]));
  });

  test('small integer dtypes and I64 become Int32Array; I64 out of range is a Left', () => {
    const i64 = new Uint8Array(16);
    new DataView(i64.buffer).setBigInt64(0, -3n, true);
    new DataView(i64.buffer).setBigInt64(8, 2n ** 40n, true);
    const ok = unwrap(parseSafetensors(rawFile({
      u8: { dtype: 'U8', shape: [2], data_offsets: [0, 2] },
      i8: { dtype: 'I8', shape: [2], data_offsets: [2, 4] },
      bool: { dtype: 'BOOL', shape: [2], data_offsets: [4, 6] },
      i64: { dtype: 'I64', shape: [1], data_offsets: [6, 14] },
    }, [255, 1, 255, 1, 1, 0, ...i64.subarray(0, 8)]), 'ints.safetensors'));
    assert.deepEqual(ok.tensors.get('u8')!.data, Int32Array.from([255, 1]));
    assert.deepEqual(ok.tensors.get('i8')!.data, Int32Array.from([-1, 1]));
    assert.deepEqual(ok.tensors.get('bool')!.data, Int32Array.from([1, 0]));
    assert.deepEqual(ok.tensors.get('i64')!.data, Int32Array.from([-3]));
    const big = leftOf(parseSafetensors(rawFile({ pos: { dtype: 'I64', shape: [2], data_offsets: [0, 16] } }, i64), 'ids.safetensors'));
    assert.equal(big.kind, 'ValueOutOfRange');
    assert.equal(big.message, "ids.safetensors: tensor 'pos': I64 value 1099511627776 at index 1 does not fit in 32 bits");
  });
});

describe('safetensors errors name the file and tensor', () => {
  const good = serializeSafetensors({ 'model.norm.weight': { dtype: 'F32', shape: [4], data: [1, 2, 3, 4] } });
  const parse = (bytes: Uint8Array) => leftOf(parseSafetensors(bytes, 'model.safetensors'));

  test('truncated files', () => {
    assert.equal(parse(good.subarray(0, 5)).message, 'model.safetensors: file is 5 bytes, too short for the 8-byte header length');
    const cut = parse(good.subarray(0, 20));
    assert.equal(cut.kind, 'Truncated');
    assert.match(cut.message, /^model\.safetensors: header length \d+ runs past the end of the file \(20 bytes\)$/);
    const noData = parse(good.subarray(0, good.length - 4));
    assert.equal(noData.message, "model.safetensors: tensor 'model.norm.weight': data_offsets [0, 16] run past the end of the data (12 bytes)");
    const huge = new Uint8Array(16);
    new DataView(huge.buffer).setBigUint64(0, 2n ** 63n, true);
    assert.match(parse(huge).message, /header length 9223372036854775808 runs past the end of the file \(16 bytes\)/);
  });

  test('size and shape disagree', () => {
    const e = parse(rawFile({ 'model.norm.weight': { dtype: 'F32', shape: [4], data_offsets: [0, 12] } }, new Uint8Array(12)));
    assert.equal(e.kind, 'SizeMismatch');
    assert.equal(e.tensor, 'model.norm.weight');
    assert.equal(e.message, "model.safetensors: tensor 'model.norm.weight': data_offsets [0, 12] hold 3 values but shape [4] needs 4");
    assert.match(parse(rawFile({ w: { dtype: 'F32', shape: [3], data_offsets: [0, 13] } }, new Uint8Array(13))).message, /hold 13 bytes, not a whole number of F32 values/);
  });

  test('overlapping offsets, gaps and unused bytes', () => {
    const overlap = parse(rawFile({
      a: { dtype: 'F32', shape: [2], data_offsets: [0, 8] },
      b: { dtype: 'F32', shape: [2], data_offsets: [4, 12] },
    }, new Uint8Array(12)));
    assert.equal(overlap.kind, 'BadOffsets');
    assert.equal(overlap.message, "model.safetensors: tensor 'b': data_offsets [4, 12] overlap those of tensor 'a' (which end at 8)");
    const gap = parse(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [4, 8] } }, new Uint8Array(8)));
    assert.match(gap.message, /tensor 'a': data_offsets \[4, 8\] leave bytes 0\.\.4 of the data region unused/);
    const extra = parse(rawFile({ a: { dtype: 'F32', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(8)));
    assert.equal(extra.message, 'model.safetensors: the tensors cover 4 bytes but the data region has 8');
    assert.match(parse(rawFile({ a: { dtype: 'F32', shape: [0], data_offsets: [4, 0] } }, new Uint8Array(4))).message, /data_offsets \[4, 0\] end before they begin/);
  });

  test('unknown and unsupported dtypes, malformed headers', () => {
    const unknown = parse(rawFile({ w: { dtype: 'F31', shape: [1], data_offsets: [0, 4] } }, new Uint8Array(4)));
    assert.equal(unknown.kind, 'UnknownDType');
    assert.equal(unknown.message, "model.safetensors: tensor 'w': unknown dtype 'F31'");
    assert.match(parse(rawFile({ w: { dtype: 'F8_E4M3', shape: [1], data_offsets: [0, 1] } }, [0])).message, /tensor 'w': dtype F8_E4M3 is not supported/);
    assert.match(parse(rawFile(null, [], '{"w": ')).message, /^model\.safetensors: header is not valid UTF-8 JSON/);
    assert.equal(parse(rawFile([1, 2])).message, 'model.safetensors: header is not a JSON object');
    assert.equal(parse(rawFile({ w: { dtype: 'F32', shape: [-1], data_offsets: [0, 0] } })).message,
      "model.safetensors: tensor 'w': header entry shape[0]: expected non-negative integer, got -1");
    assert.equal(parse(rawFile({ w: { dtype: 'F32', shape: [1] } })).message,
      "model.safetensors: tensor 'w': header entry data_offsets: expected [non-negative integer, non-negative integer], got nothing (the field is missing)");
    assert.match(parse(rawFile({ __metadata__: { a: 1 } })).message, /^model\.safetensors: __metadata__: a: expected string, got 1/);
    const badUtf8 = rawFile(null, [], '{}  ');
    badUtf8[9] = 0xff;
    assert.match(parse(badUtf8).message, /not valid UTF-8 JSON/);
  });

  test('expectTensor: missing tensor or wrong shape', () => {
    const { tensors } = unwrap(parseSafetensors(good, 'model.safetensors'));
    assert.equal(unwrap(expectTensor(tensors, 'model.norm.weight', [4], 'model.safetensors')).data.length, 4);
    assert.equal(leftOf(expectTensor(tensors, 'lm_head.weight', [97, 32], 'model.safetensors')).message,
      "model.safetensors: tensor 'lm_head.weight': missing");
    const wrong = leftOf(expectTensor(tensors, 'model.norm.weight', [32], 'model.safetensors'));
    assert.equal(wrong.kind, 'ShapeMismatch');
    assert.equal(wrong.message, "model.safetensors: tensor 'model.norm.weight': shape [4], expected [32]");
  });
});
