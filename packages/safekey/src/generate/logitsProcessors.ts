/** Host-side steps from one position's logits to the next token; each returns a new array. */

/** Logits of ids at or above `limit` become -Infinity (never chosen). */
export function limitVocab(logits: Float64Array, limit: number): Float64Array {
  const out = Float64Array.from(logits);
  out.fill(Number.NEGATIVE_INFINITY, limit);
  return out;
}

/** Hugging Face's `RepetitionPenaltyLogitsProcessor`: for each distinct id in `context`, a logit below 0 is multiplied by `penalty`, any other divided by it. */
export function repetitionPenalty(logits: Float64Array, context: readonly number[], penalty: number): Float64Array {
  const out = Float64Array.from(logits);
  if (penalty === 1) return out;
  for (const id of new Set(context)) out[id] = out[id]! < 0 ? out[id]! * penalty : out[id]! / penalty;
  return out;
}

/** The first index of the largest value. */
export function argmaxOf(xs: Float64Array): number {
  let best = 0;
  for (let i = 1; i < xs.length; i++) if (xs[i]! > xs[best]!) best = i;
  return best;
}

/** `softmax(logits / temperature)` in float64. */
export function probabilities(logits: Float64Array, temperature: number): Float64Array {
  let max = Number.NEGATIVE_INFINITY;
  for (const x of logits) if (x > max) max = x;
  const out = new Float64Array(logits.length);
  let total = 0;
  for (let i = 0; i < logits.length; i++) { out[i] = Math.exp((logits[i]! - max) / temperature); total += out[i]!; }
  for (let i = 0; i < out.length; i++) out[i]! /= total;
  return out;
}

/**
 * Nucleus filtering (Hugging Face's `TopPLogitsWarper`): the ids sorted by probability, most likely first (ties
 * by smaller id), kept while the probability of those before them is below `topP`; at least one is kept.
 */
export function nucleus(probs: Float64Array, topP: number): number[] {
  const order = Array.from(probs.keys()).sort((a, b) => probs[b]! - probs[a]! || a - b);
  const kept: number[] = [];
  let before = 0;
  for (const id of order) {
    if (kept.length > 0 && before >= topP) break;
    if (probs[id] === 0) break;
    kept.push(id);
    before += probs[id]!;
  }
  return kept;
}

/** Inverse-CDF draw among `ids` with weights `probs[id]` (renormalised), from a uniform `u` in [0, 1). */
export function drawFrom(ids: readonly number[], probs: Float64Array, u: number): number {
  let total = 0;
  for (const id of ids) total += probs[id]!;
  let target = u * total;
  for (const id of ids) {
    target -= probs[id]!;
    if (target < 0) return id;
  }
  return ids[ids.length - 1]!;
}
