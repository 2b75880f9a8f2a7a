import { type Tensor, random, zeros } from '@safekey-ts/core';

export interface Linear1 { readonly weight: Tensor; readonly bias: Tensor }  // weight [1, D], bias [1]

/** The Dual-Path Safety Head: two `Linear(D, 1)` probes; training only, saved apart from the model. */
export interface SafetyHead { readonly context: Linear1; readonly understanding: Linear1 }

export function initSafetyHead(key: random.Key, d: number, std = 0.02): SafetyHead {
  const [a, b] = random.split(key, 2);
  return {
    context: { weight: random.normal(a, [1, d], { std }), bias: zeros([1]) },
    understanding: { weight: random.normal(b, [1, d], { std }), bias: zeros([1]) },
  };
}

export const safetyHeadNames = (h: SafetyHead): [string, Tensor][] => [
  ['safety_head.context.weight', h.context.weight], ['safety_head.context.bias', h.context.bias],
  ['safety_head.understanding.weight', h.understanding.weight], ['safety_head.understanding.bias', h.understanding.bias],
];

export const safetyHeadFromNames = (get: (name: string) => Tensor): SafetyHead => ({
  context: { weight: get('safety_head.context.weight'), bias: get('safety_head.context.bias') },
  understanding: { weight: get('safety_head.understanding.weight'), bias: get('safety_head.understanding.bias') },
});
