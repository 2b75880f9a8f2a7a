import { type CheckpointErrorKind, type LocatedError, locatedError } from './errors.js';

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
export type CheckpointDirError = LocatedError<CheckpointDirErrorKind>;

export const dirError = (kind: CheckpointDirErrorKind, file: string, detail: string, tensor?: string): CheckpointDirError =>
  locatedError(kind, file, detail, tensor);
