import { type RopeTables, type Shape, type Tensor, cast, cos, fromArray, mul, reshape, sin } from '@safekey-ts/core';
import { type ModelConfig, dimsOf } from './config.js';

const f = Math.fround;

/** theta^(-2i/dim) for i < dim/2, in float32 steps as `transformers` computes it. */
function plainInverseFrequencies(theta: number, dim: number): number[] {
  const base = f(theta);
  return Array.from({ length: dim / 2 }, (_, i) => f(1 / f(Math.pow(base, f((2 * i) / dim)))));
}

/**
 * The rotary inverse frequencies `[headDim / 2]` of a config at a sequence length (the largest position + 1), as
 * Hugging Face computes them in float32: plain, `linear` (divided by the factor), `dynamic` (NTK: the base grows
 * once the sequence is longer than `max_position_embeddings`) and `llama3` (long wavelengths divided by the
 * factor, a smooth ramp between). Every scaling here has an attention factor of 1.
 */
export function ropeInverseFrequencies(config: ModelConfig, seqLen: number): number[] {
  const dim = dimsOf(config).headDim;
  const s = config.rope_scaling ?? null;
  if (s === null) return plainInverseFrequencies(config.rope_theta, dim);
  switch (s.rope_type) {
    case 'linear':
      return plainInverseFrequencies(config.rope_theta, dim).map((x) => f(x / f(s.factor)));
    case 'dynamic': {
      if (seqLen <= config.max_position_embeddings) return plainInverseFrequencies(config.rope_theta, dim);
      const grow = f(Math.pow(f(f(f(f(s.factor) * seqLen) / config.max_position_embeddings) - f(s.factor - 1)), f(dim / (dim - 2))));
      return plainInverseFrequencies(f(config.rope_theta * grow), dim);
    }
    case 'llama3': {
      const low = f(s.original_max_position_embeddings / s.low_freq_factor);
      const high = f(s.original_max_position_embeddings / s.high_freq_factor);
      return plainInverseFrequencies(config.rope_theta, dim).map((inv) => {
        const wavelen = f(f(2 * Math.PI) / inv);
        const scaled = wavelen > low ? f(inv / f(s.factor)) : inv;
        if (wavelen < high || wavelen > low) return scaled;
        const smooth = f(f(f(f(s.original_max_position_embeddings) / wavelen) - f(s.low_freq_factor)) / f(s.high_freq_factor - s.low_freq_factor));
        return f(f(f(f(1 - smooth) * scaled) / f(s.factor)) + f(smooth * scaled));
      });
    }
  }
}

/**
 * cos/sin tables `[..., T, headDim]` at the given positions for this config (Hugging Face's rotate-half
 * convention: the angles repeated for both halves). `seqLen` matters only to `dynamic` scaling: the largest
 * position in this pass plus one.
 */
export function ropeTablesFor(config: ModelConfig, positions: Tensor<Shape, 'int32'>, seqLen: number): RopeTables<'float32'> {
  const inv = ropeInverseFrequencies(config, seqLen);
  const both = fromArray(Float32Array.from([...inv, ...inv]), [inv.length * 2], 'float32');
  const angles = mul(reshape(cast(positions, 'float32'), [...positions.shape, 1]), both);
  return { cos: cos(angles) as Tensor<Shape, 'float32'>, sin: sin(angles) as Tensor<Shape, 'float32'> };
}
