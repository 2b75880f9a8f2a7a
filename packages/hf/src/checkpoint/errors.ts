export type CheckpointErrorKind =
  | 'FileError'
  | 'Truncated'
  | 'MalformedHeader'
  | 'UnknownDType'
  | 'UnsupportedDType'
  | 'BadOffsets'
  | 'SizeMismatch'
  | 'ValueOutOfRange'
  | 'MissingTensor'
  | 'ShapeMismatch';

/**
 * A checkpoint file could not be used. `message` is complete on its own: it starts with the file name and, where
 * one tensor is at fault, names it (`model.safetensors: tensor 'model.norm.weight': ...`).
 */
export interface LocatedError<K extends string> {
  readonly kind: K;
  readonly file: string;
  readonly tensor?: string;
  readonly message: string;
}
export type CheckpointError = LocatedError<CheckpointErrorKind>;

/** An error whose message starts with the file and, when one tensor is at fault, names it. */
export const locatedError = <K extends string>(kind: K, file: string, detail: string, tensor?: string): LocatedError<K> =>
  tensor === undefined
    ? { kind, file, message: `${file}: ${detail}` }
    : { kind, file, tensor, message: `${file}: tensor '${tensor}': ${detail}` };

export const checkpointError = (kind: CheckpointErrorKind, file: string, detail: string, tensor?: string): CheckpointError =>
  locatedError(kind, file, detail, tensor);

export const fmtDims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
