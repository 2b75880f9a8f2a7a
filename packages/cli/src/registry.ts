import type { Command } from './command.js';
import { generateCommand } from './commands/generate.js';
import { evalCommand } from './commands/evaluate.js';
import { experimentCommand } from './commands/experiment.js';
import { exportCommand } from './commands/export.js';
import { initCommand } from './commands/init.js';
import { inspectCommand } from './commands/inspect.js';
import { lossCommand } from './commands/loss.js';
import { mergeCommand } from './commands/merge.js';
import { trainCommand } from './commands/train.js';
import { tokenizerEncodeCommand } from './commands/tokenizerEncode.js';
import { tokenizerTrainCommand } from './commands/tokenizerTrain.js';

/** Every `safekey` command. A new command is one file in `commands/` and one line here. */
export const COMMANDS: readonly Command[] = [
  initCommand,
  generateCommand,
  tokenizerTrainCommand,
  tokenizerEncodeCommand,
  trainCommand,
  lossCommand,
  exportCommand,
  mergeCommand,
  evalCommand,
  experimentCommand,
  inspectCommand,
];
