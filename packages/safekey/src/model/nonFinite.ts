import { type Shape, type Tensor, TensorError, fromArray, tidy } from '@safekey-ts/core';
import { noGrad } from '@safekey-ts/autograd';
import type { ModelConfig } from './config.js';
import { forward } from './decoder.js';
import type { ModelParams } from './params.js';

export const allFinite = (xs: ArrayLike<number>): boolean => {
  for (let i = 0; i < xs.length; i++) if (!Number.isFinite(xs[i]!)) return false;
  return true;
};

/** The first stage of the forward pass over `ids` whose output holds a non-finite number (see `ForwardOptions.inspect`). */
export function firstNonFiniteStage(params: ModelParams, config: ModelConfig, ids: readonly number[]): string | undefined {
  let first: string | undefined;
  noGrad(() => tidy(() => {
    forward(params, config, fromArray(Int32Array.from(ids), [1, ids.length], 'int32') as Tensor<Shape, 'int32'>, {
      inspect: (stage, x) => { if (first === undefined && !allFinite(x.dataSync())) first = stage; },
    });
  }));
  return first;
}

/**
 * The error for a model whose numbers are not finite on `ids`: a TensorError naming the op and the stage where
 * they first appear, so a broken checkpoint is never read as text or as a score.
 */
export function nonFiniteModelError(op: string, what: string, params: ModelParams, config: ModelConfig, ids: readonly number[]): TensorError {
  const stage = firstNonFiniteStage(params, config, ids);
  const where = stage === undefined ? 'the forward pass alone stays finite (the loss or head turns it)' : `they first appear in the output of ${stage}`;
  return new TensorError({ kind: 'NonFinite', op, message: `${what} is not finite; ${where} (weights too large for float32 overflow there)` });
}
