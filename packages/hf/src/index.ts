// Everything: the modules a page may import (./browser.js) and those that read and write files.
export * from './browser.js';
export * from './checkpoint/atomicDir.js';
export * from './checkpoint/checkpointDir.js';
export * from './checkpoint/configFiles.js';
export * from './checkpoint/jsonFile.js';
export * from './checkpoint/modelWeights.js';
export * from './checkpoint/pathExists.js';
export * from './checkpoint/safetensorsFiles.js';
export * from './checkpoint/safetensorsStream.js';
export * from './data/jsonl.js';
export * from './files/readFileBytes.js';
export * from './files/readTextFileSync.js';
export * from './files/writeFileAtomic.js';
export * from './tokenizer/tokenizerFiles.js';
export * from './adapter/adapterFiles.js';
