import { TensorError } from '../errors.js';
import { keep } from '../scope.js';
import type { Application, Tensor, Tracer } from '../tensor.js';
import type { Ref, Step } from './program.js';

/**
 * Records every primitive application (also inside `untraced`) as a program step, computing none of them
 * (abstract): the program is run afterwards, so the trace holds no intermediate values.
 */
export class Recorder implements Tracer {
  readonly seesUntraced = true;
  readonly abstract = true;
  readonly steps: Step[] = [];
  readonly #refs = new Map<Tensor, Ref>();

  constructor(args: readonly Tensor[]) {
    args.forEach((t, index) => { if (!this.#refs.has(t)) this.#refs.set(t, { kind: 'arg', index }); });
  }

  /** The ref of a tensor; one the trace did not produce and was not given is a captured constant. */
  refOf(t: Tensor): Ref {
    let r = this.#refs.get(t);
    if (!r) {
      r = { kind: 'const', tensor: keep(t) };
      this.#refs.set(t, r);
    }
    return r;
  }

  record(app: Application): void {
    this.steps.push({ kind: 'prim', prim: app.prim, params: app.params, inputs: app.inputs.map((t) => this.refOf(t)), out: app.output.info });
    this.#refs.set(app.output, { kind: 'step', index: this.steps.length - 1 });
  }

  read(t: Tensor): void {
    const r = this.#refs.get(t);
    if (r && r.kind !== 'const')
      throw new TensorError({ kind: 'InvalidArgument', op: 'jit', message: 'a jitted function read the values of a traced tensor; a replay could not repeat that. Return the tensor and read it outside, or do not jit this function' });
  }
}
