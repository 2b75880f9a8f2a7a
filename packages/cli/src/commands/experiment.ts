import * as E from 'fp-ts/lib/Either.js';
import { backendFlag } from '../backends.js';
import { runExperiment } from '../experiment/pipeline.js';
import { PRESETS } from '../experiment/presets.js';
import { defaultTopicsFile, loadTopics } from '../experiment/topics.js';
import { writableDir } from '../files/writableDir.js';
import { defineCommand } from '../command.js';
import { optional, pathArg, text, withDefault } from '../flags.js';

export const experimentCommand = defineCommand({
  path: ['experiment'],
  summary: 'Run the small-scale SafeKey reproduction: corpus, base model, SFT vs SafeKey, evaluation, analyses, report.',
  details: [
    `Presets: ${Object.values(PRESETS).map((p) => `${p.name} (${p.description})`).join('; ')}.`,
    'Writes reports/<preset>/report.md with tables and plots, metrics.json, the data, checkpoints and per-prompt',
    'evaluations. Finished stages are kept: running the same command again continues where it stopped.',
  ].join('\n'),
  flags: {
    preset: withDefault(text, 'NAME', `one of ${Object.keys(PRESETS).join(', ')}`, 'default'),
    out: optional(pathArg, 'DIR', 'output directory (default reports/<preset>)'),
    backend: backendFlag(),
    topics: optional(pathArg, 'FILE', 'the request phrases (default: the phrases the cli package ships, data/safety-topics.json)'),
  },
  run: async (f, io) => {
    const preset = PRESETS[f.preset];
    if (!preset) return E.left(`--preset: unknown preset '${f.preset}' (one of ${Object.keys(PRESETS).join(', ')})`);
    const topics = loadTopics(f.topics ?? defaultTopicsFile());
    if (E.isLeft(topics)) return topics;
    const out = f.out ?? `reports/${preset.name}`;
    const writable = writableDir(out);
    if (E.isLeft(writable)) return writable;
    const command = `npx safekey experiment --preset ${preset.name} --backend ${f.backend}${f.out ? ` --out ${f.out}` : ''}`;
    const results = await runExperiment({ preset, topics: topics.right, out, backend: f.backend, commands: [command], log: io.err });
    io.out(`wrote ${out}/report.md (${(results.seconds / 60).toFixed(1)} min)`);
    return E.right(undefined);
  },
});
