import { type Shape, type Tensor, fromArray } from '@safekey-ts/core';

/** Token spans of one sample: prompt `[0, promptEnd)`, U `[promptEnd, keyStart)`, K `[keyStart, keyEnd)`, all `[0, length)`. */
export interface SampleSpans {
  readonly ids: readonly number[];
  readonly promptEnd: number;
  readonly keyStart: number;
  readonly keyEnd: number;
  readonly harmful: 0 | 1;
}

/** The tensors of a right-padded batch: every mask the SafeKey losses need, built once on the host. */
export interface BatchTensors {
  readonly ids: Tensor<Shape, 'int32'>;          // [B, T]
  readonly padding: Tensor<Shape, 'bool'>;       // [B, T] real tokens
  readonly promptMask: Tensor<Shape, 'bool'>;    // [B, T] prompt positions (hidden in the QMM pass)
  readonly targets: Tensor<Shape, 'int32'>;      // [B, T-1] next tokens
  readonly responseTargets: Tensor<Shape, 'bool'>; // [B, T-1] targets inside the response (SFT)
  /**
   * [B, Lq-1] targets inside K (QMM), over the prefix of Lq positions that ends at the batch's last K token
   * (rounded up as T is): the QMM pass runs on that prefix only, since with causal attention no later
   * position can change a K prediction.
   */
  readonly keyTargets: Tensor<Shape, 'bool'>;
  readonly understanding: Tensor<Shape, 'float32'>; // [B, T] 1 on U
  readonly context: Tensor<Shape, 'float32'>;    // [B, T] 1 on [0, keyStart)
  readonly harmful: Tensor<Shape, 'float32'>;    // [B]
}

/** A batch: its tensors (a pytree `jit` can take) and the samples it was built from. */
export interface Batch extends BatchTensors { readonly samples: readonly SampleSpans[] }

/** The tensor part of a batch, for passing to `jit`. */
export const batchTensors = ({ samples: _samples, ...tensors }: Batch): BatchTensors => tensors;

export function checkSpans(s: SampleSpans, where: string): void {
  const n = s.ids.length;
  // U must be non-empty: the first K token is predicted from U's last position (under the QMM mask a prompt
  // position sees nothing).
  if (!(0 < s.promptEnd && s.promptEnd < s.keyStart && s.keyStart < s.keyEnd && s.keyEnd <= n))
    throw new Error(`${where}: spans must satisfy 0 < promptEnd < keyStart < keyEnd <= length, got promptEnd ${s.promptEnd}, keyStart ${s.keyStart}, keyEnd ${s.keyEnd}, length ${n}`);
}

/**
 * Pads to the longest sample, rounded up to a multiple of `padMultiple` (few distinct shapes keep `jit`
 * traces few), with pad id 0 by default; padded positions are masked everywhere.
 */
export function makeBatch(samples: readonly SampleSpans[], opts: { readonly padId?: number; readonly padMultiple?: number } = {}): Batch {
  samples.forEach((s, i) => checkSpans(s, `sample ${i}`));
  const padId = opts.padId ?? 0, mult = opts.padMultiple ?? 1;
  const B = samples.length, T = Math.ceil(Math.max(...samples.map((s) => s.ids.length)) / mult) * mult;
  const Lq = Math.min(T, Math.ceil(Math.max(...samples.map((s) => s.keyEnd)) / mult) * mult);
  const grid = <A extends Int32Array | Uint8Array | Float32Array>(make: (n: number) => A, width: number, f: (s: SampleSpans, j: number) => number): A => {
    const out = make(B * width);
    samples.forEach((s, b) => { for (let j = 0; j < width; j++) out[b * width + j] = f(s, j); });
    return out;
  };
  const inSpan = (j: number, lo: number, hi: number) => +(j >= lo && j < hi);
  const bools = (width: number, f: (s: SampleSpans, j: number) => number) => fromArray(grid((n) => new Uint8Array(n), width, f), [B, width], 'bool');
  const floats = (f: (s: SampleSpans, j: number) => number) => fromArray(grid((n) => new Float32Array(n), T, f), [B, T], 'float32');
  return {
    ids: fromArray(grid((n) => new Int32Array(n), T, (s, j) => s.ids[j] ?? padId), [B, T], 'int32'),
    padding: bools(T, (s, j) => +(j < s.ids.length)),
    promptMask: bools(T, (s, j) => +(j < s.promptEnd)),
    targets: fromArray(grid((n) => new Int32Array(n), T - 1, (s, j) => s.ids[j + 1] ?? padId), [B, T - 1], 'int32'),
    responseTargets: bools(T - 1, (s, j) => inSpan(j + 1, s.promptEnd, s.ids.length)),
    keyTargets: bools(Lq - 1, (s, j) => inSpan(j + 1, s.keyStart, s.keyEnd)),
    understanding: floats((s, j) => inSpan(j, s.promptEnd, s.keyStart)),
    context: floats((s, j) => inSpan(j, 0, s.keyStart)),
    harmful: fromArray(Float32Array.from(samples, (s) => s.harmful), [B], 'float32'),
    samples,
  };
}
