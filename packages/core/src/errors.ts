/** What went wrong, as a value a caller can branch on. */
export type TensorErrorKind =
  | 'ShapeMismatch'
  | 'DTypeMismatch'
  | 'InvalidArgument'
  | 'NonFinite'
  | 'MalformedData'
  | 'BackendMismatch'
  | 'Disposed'
  | 'OutOfMemory';

export interface TensorErrorInfo {
  readonly kind: TensorErrorKind;
  /** The op (or boundary function) that rejected its input. */
  readonly op: string;
  readonly message: string;
  /** The shapes involved, in argument order, when shapes are the problem. */
  readonly shapes?: readonly (readonly number[])[];
  /** Where in user data the problem is, e.g. `[2][1]` or `params.layers[0].w`. */
  readonly path?: string;
}

/** Thrown inside the typed graph; returned inside `Either` at the boundaries. */
export class TensorError extends Error implements TensorErrorInfo {
  readonly kind: TensorErrorKind;
  readonly op: string;
  readonly shapes?: readonly (readonly number[])[];
  readonly path?: string;

  constructor(info: TensorErrorInfo) {
    super(formatError(info));
    this.name = 'TensorError';
    this.kind = info.kind;
    this.op = info.op;
    if (info.shapes) this.shapes = info.shapes;
    if (info.path !== undefined) this.path = info.path;
  }
}

export const fmtShape = (s: readonly number[]): string => `[${s.join(', ')}]`;

function formatError(info: TensorErrorInfo): string {
  const at = info.path !== undefined ? ` at ${info.path}` : '';
  const shapes = info.shapes ? ` (shapes ${info.shapes.map(fmtShape).join(' and ')})` : '';
  return `${info.op}: ${info.message}${at}${shapes}`;
}

export const shapeError = (op: string, message: string, ...shapes: (readonly number[])[]): TensorError =>
  new TensorError({ kind: 'ShapeMismatch', op, message, shapes });

export const argError = (op: string, message: string): TensorError =>
  new TensorError({ kind: 'InvalidArgument', op, message });

export const dtypeError = (op: string, message: string): TensorError =>
  new TensorError({ kind: 'DTypeMismatch', op, message });
