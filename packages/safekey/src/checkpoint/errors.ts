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
export interface CheckpointError {
  readonly kind: CheckpointErrorKind;
  readonly file: string;
  readonly tensor?: string;
  readonly message: string;
}

export const checkpointError = (kind: CheckpointErrorKind, file: string, detail: string, tensor?: string): CheckpointError =>
  tensor === undefined
    ? { kind, file, message: `${file}: ${detail}` }
    : { kind, file, tensor, message: `${file}: tensor '${tensor}': ${detail}` };

export const fmtDims = (shape: readonly number[]): string => `[${shape.join(', ')}]`;
