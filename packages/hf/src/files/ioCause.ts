/** What the system's error codes mean, in words a user acts on. */
const CAUSES: Record<string, string> = {
  EROFS: 'read-only file system',
  ENOSPC: 'no space left on the device',
  EDQUOT: 'disk quota exceeded',
  EEXIST: 'already exists',
  EACCES: 'permission denied',
  EPERM: 'operation not permitted',
  ENOENT: 'no such file or directory',
  ENOTDIR: 'a part of the path is not a directory',
  EISDIR: 'is a directory',
  ENOTEMPTY: 'directory not empty',
  EMFILE: 'too many open files',
  EIO: 'input/output error from the device',
  ENAMETOOLONG: 'the name is too long',
};

/** The error's cause without the path (Node's messages repeat it: "EROFS: read-only file system, open '/x'"). */
export function ioCause(cause: unknown): string {
  const code = (cause as NodeJS.ErrnoException | undefined)?.code;
  if (code && CAUSES[code]) return `${CAUSES[code]} (${code})`;
  const message = cause instanceof Error ? cause.message : String(cause);
  return message.replace(/, \w+ '[^']*'(?: -> '[^']*')?$/, '');
}

/** True for an error that comes from the file system (it has an errno code), not from a bug. */
export const isIoError = (cause: unknown): cause is NodeJS.ErrnoException =>
  cause instanceof Error && typeof (cause as NodeJS.ErrnoException).code === 'string' && typeof (cause as NodeJS.ErrnoException).syscall === 'string';

/** `path: cause`, naming the path once. */
export const describeIoError = (path: string, cause: unknown): string => `${path}: ${ioCause(cause)}`;
