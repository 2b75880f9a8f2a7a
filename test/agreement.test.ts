// The gpu.js backend against the reference backend on larger random tensors, fused against unfused programs,
// kernel counts of a transformer block with and without fusion, and live buffers over a training loop.
import type { GpujsBackend } from '@safekey-ts/gpujs';
import { forEachBackend } from './backends.js';
import { agreementSuite } from './suites/gpujs-agreement.js';

forEachBackend('agreement', (b) => agreementSuite(b.gpujsMode!, b.make as () => GpujsBackend));
