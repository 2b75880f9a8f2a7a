/** Every dtype name the safetensors format defines. */
export const SAFETENSORS_DTYPES = [
  'BOOL', 'U8', 'I8', 'I16', 'U16', 'F16', 'BF16', 'I32', 'U32', 'F32', 'F64', 'I64', 'U64',
  'F8_E4M3', 'F8_E5M2', 'F8_E8M0', 'F4', 'F6_E2M3', 'F6_E3M2', 'C64',
] as const;
export type SafetensorsDType = (typeof SAFETENSORS_DTYPES)[number];

/** The dtypes this package reads: floats become Float32Array (F64: Float64Array), integers Int32Array. */
export const READABLE_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32', 'I16', 'I8', 'U16', 'U8', 'BOOL'] as const;
export type ReadableDType = (typeof READABLE_DTYPES)[number];

/** The dtypes this package writes. */
export const WRITABLE_DTYPES = ['F64', 'F32', 'F16', 'BF16', 'I64', 'I32'] as const;
export type WritableDType = (typeof WRITABLE_DTYPES)[number];

/** Bytes per element. */
export const DTYPE_SIZE: Readonly<Record<ReadableDType, number>> = {
  F64: 8, F32: 4, F16: 2, BF16: 2, I64: 8, I32: 4, I16: 2, I8: 1, U16: 2, U8: 1, BOOL: 1,
};

export const isKnownDType = (s: string): s is SafetensorsDType => (SAFETENSORS_DTYPES as readonly string[]).includes(s);
export const isReadableDType = (s: string): s is ReadableDType => (READABLE_DTYPES as readonly string[]).includes(s);
