// Types of what the tests read from ewise.wat.mjs (the generator itself is plain JS, run at install).
export const BLOCK: number;
export const PARAMS: readonly string[];
export const mathImports: readonly string[];
export const ewiseScratchBytes: number;
export function ewiseWat(ops: readonly string[]): string;
