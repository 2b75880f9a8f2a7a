import { type Application, type Tensor, type Tracer, add, isFloat } from '@safekey-ts/core';
import type { TensorVjp } from './rule.js';
import { vjpRules } from './rules.js';

/** One recorded step: how to turn the output's cotangent into the inputs' cotangents. */
interface Node {
  readonly inputs: readonly Tensor[];
  readonly output: Tensor;
  readonly pullback: (g: Tensor) => readonly (Tensor | null)[];
}

/**
 * Records, while active, every application whose output is a float tensor that depends on one of the
 * tracked tensors (the primals of one `vjp` call). Several tapes can be active at once (nested `grad`):
 * each records what depends on its own primals, so a pullback run under an outer tape is recorded there.
 */
export class Tape implements Tracer {
  readonly #tracked = new Set<Tensor>();
  readonly #nodes: Node[] = [];

  /** `vjp` is handed to the rules that differentiate a composition of their own. */
  constructor(readonly vjp: TensorVjp) {}

  track(t: Tensor): void { this.#tracked.add(t); }

  /** Whether `t` depends on this tape's primals (so a gradient for it is wanted). */
  tracks(t: Tensor): boolean { return this.#tracked.has(t); }

  record(app: Application): void {
    if (!isFloat(app.output.dtype) || !app.inputs.some((x) => this.#tracked.has(x))) return;
    const rule = vjpRules[app.prim] as (g: Tensor, app: Application, vjp: TensorVjp) => readonly (Tensor | null)[];
    this.#nodes.push({ inputs: app.inputs, output: app.output, pullback: (g) => rule(g, app, this.vjp) });
    this.#tracked.add(app.output);
  }

  /** Records a step with a user-supplied pullback (customVjp). */
  recordCustom(inputs: readonly Tensor[], output: Tensor, pullback: (g: Tensor) => readonly (Tensor | null)[]): void {
    if (!inputs.some((x) => this.#tracked.has(x))) return;
    this.#nodes.push({ inputs, output, pullback });
    this.#tracked.add(output);
  }

  /** Reverse sweep from output cotangents; returns the accumulated cotangent of each tensor reached. */
  backward(seeds: readonly (readonly [Tensor, Tensor])[]): Map<Tensor, Tensor> {
    const grads = new Map<Tensor, Tensor>();
    const accumulate = (t: Tensor, g: Tensor) => {
      const prev = grads.get(t);
      grads.set(t, prev ? add(prev, g) : g);
    };
    for (const [t, g] of seeds) accumulate(t, g);
    for (let i = this.#nodes.length - 1; i >= 0; i--) {
      const node = this.#nodes[i];
      const g = grads.get(node.output);
      if (!g) continue;
      grads.delete(node.output); // intermediates are dropped as soon as they are used
      const gs = node.pullback(g);
      node.inputs.forEach((x, j) => {
        const gx = gs[j];
        if (gx && this.#tracked.has(x)) accumulate(x, gx);
      });
    }
    return grads;
  }
}
