import type { AdamWConfig } from '../optim/adamw.js';

/** What a SafeKey run trains with, besides its data, epochs, batch size, peak learning rate and seed. */
export interface Recipe {
  /** lambdaQmm and lambdaHead of `L = L_SFT + lambdaQmm L_QMM + lambdaHead L_DPSH`. */
  readonly weights: { readonly qmm: number; readonly dpsh: number };
  /** The extra losses are on in the last `extraEpochs` epochs (plain SFT before). */
  readonly extraEpochs: number;
  readonly adam: AdamWConfig;
  /** Gradients are clipped to this global norm. */
  readonly clip: number;
  /** Linear warm-up over this share of the updates, then cosine decay to `minRatio` of the peak. */
  readonly warmup: number;
  readonly minRatio: number;
  /** Micro-batches whose gradients are averaged per update. */
  readonly accumulation: number;
}

/**
 * The public SafeKey recipe's settings (AdamW betas 0.9 / 0.95 with weight decay 1e-4 off biases and norms, 5%
 * warm-up then cosine, both extra losses at 0.2 in the last 2 epochs) with clipping at 1 and a floor of 10% of
 * the peak rate. The trainer, the CLI and the experiment all start from this one value.
 */
export const RECIPE: Recipe = {
  weights: { qmm: 0.2, dpsh: 0.2 },
  extraEpochs: 2,
  adam: { beta1: 0.9, beta2: 0.95, eps: 1e-8, weightDecay: 1e-4 },
  clip: 1,
  warmup: 0.05,
  minRatio: 0.1,
  accumulation: 1,
};
