import { blockKernelCounts } from './suites/gpujs-agreement.ts';
import { gpujsBackend } from '@safekey-ts/gpujs';
const b = gpujsBackend({ mode: 'cpu' } as never);
console.log(JSON.stringify(blockKernelCounts(b as never)));
