import type { CheckpointErrorKind } from './errors.js';

export type CheckpointDirErrorKind =
  | CheckpointErrorKind
  | 'MalformedJson'
  | 'InvalidConfig'
  | 'InvalidTokenizer'
  | 'InvalidTrainerState'
  | 'UnexpectedTensor'
  | 'IncompleteCheckpoint'
  | 'NotACheckpointDir';

/**
 * A checkpoint directory could not be saved or loaded. Like `CheckpointError` (which it includes), `message`
 * stands alone: it starts with the file's path and names the tensor or JSON field at fault.
 */
export interface CheckpointDirError {
  readonly kind: CheckpointDirErrorKind;
  readonly file: string;
  readonly tensor?: string;
  readonly message: string;
}

export const dirError = (kind: CheckpointDirErrorKind, file: string, detail: string, tensor?: string): CheckpointDirError =>
  tensor === undefined
    ? { kind, file, message: `${file}: ${detail}` }
    : { kind, file, tensor, message: `${file}: tensor '${tensor}': ${detail}` };
