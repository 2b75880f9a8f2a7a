// Prints the VM's op table as JSON for scripts/build.mjs: {"ops": [...], "header": "..."}.
import { VM_OPS, cppOpHeader } from '../src/vm-ops.js';

process.stdout.write(JSON.stringify({ ops: VM_OPS, header: cppOpHeader() }));
