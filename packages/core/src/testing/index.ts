export * from './conformance.js';
export * from './block.js';
