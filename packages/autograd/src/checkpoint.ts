import { type Tensor, activeTracers, isFloat, leaves, unflatten, untraced } from '@safekey-ts/core';
import { Tape } from './tape.js';
import { vjp } from './vjp.js';

/**
 * Rematerialisation, as `jax.checkpoint` / `torch.utils.checkpoint`: `checkpoint(f)` computes what `f` does, but a
 * gradient taken through it keeps only `f`'s inputs and runs `f` again inside the backward pass, so `f`'s
 * intermediates never live from the forward pass to the backward one. The gradients are those of `f` itself.
 * Everything `f` should be differentiated with respect to must be an argument (pytrees allowed): a tensor it
 * captures counts as a constant. Outside a gradient, `f` runs as it is.
 */
export function checkpoint<Args extends readonly unknown[]>(f: (...args: Args) => Tensor): (...args: Args) => Tensor {
  return (...args: Args): Tensor => {
    const tapes = activeTracers().filter((t): t is Tape => t instanceof Tape);
    if (tapes.length === 0) return f(...args);
    const flat = leaves(args, 'checkpoint', 'args').map((l) => l.tensor);
    const out = untraced(() => f(...args));
    for (const tape of tapes) {
      // differentiate only the inputs this tape wants a gradient for: frozen weights cost no backward work
      const wanted = flat.map((t, i) => (isFloat(t.dtype) && tape.tracks(t) ? i : -1)).filter((i) => i >= 0);
      if (wanted.length === 0) continue;
      tape.recordCustom(wanted.map((i) => flat[i]!), out, (g) => {
        const again = (...xs: Tensor[]) => {
          const inputs = [...flat];
          wanted.forEach((i, j) => { inputs[i] = xs[j]!; });
          return f(...(unflatten(args, inputs) as unknown as Args));
        };
        const [, pullback] = vjp(again, ...wanted.map((i) => flat[i]!));
        return pullback(g) as unknown as Tensor[];
      });
    }
    return out;
  };
}
