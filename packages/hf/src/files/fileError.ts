import { describeIoError } from './ioCause.js';

/** A file could not be read or written. `path` names the file, `message` says what the system reported. */
export interface FileError {
  readonly kind: 'FileError';
  readonly path: string;
  readonly message: string;
}

export const fileError = (path: string, cause: unknown): FileError => ({
  kind: 'FileError',
  path,
  message: describeIoError(path, cause),
});
