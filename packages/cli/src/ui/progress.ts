import cliProgress from 'cli-progress';

/** A progress display: a bar on a terminal, a line every 10% elsewhere (logs, CI). */
export interface Progress {
  update(done: number, fields?: Readonly<Record<string, string>>): void;
  stop(): void;
}

const fmtTime = (s: number) => (s >= 3600 ? `${(s / 3600).toFixed(1)}h` : s >= 60 ? `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s` : `${Math.round(s)}s`);

export function progress(label: string, total: number, stream: NodeJS.WriteStream = process.stderr): Progress {
  const start = Date.now();
  const eta = (done: number) => (done > 0 ? fmtTime(((Date.now() - start) / 1000) * (total - done) / done) : '?');
  const text = (f?: Readonly<Record<string, string>>) => (f ? Object.entries(f).map(([k, v]) => `${k} ${v}`).join('  ') : '');
  if (stream.isTTY) {
    const bar = new cliProgress.SingleBar({
      format: `${label.padEnd(14)} [{bar}] {value}/{total}  {info}  eta {eta_t}`, barsize: 24, hideCursor: true, stream, clearOnComplete: false,
    }, cliProgress.Presets.shades_classic);
    bar.start(total, 0, { info: '', eta_t: '?' });
    return {
      update: (done, f) => bar.update(done, { info: text(f), eta_t: eta(done) }),
      stop: () => bar.stop(),
    };
  }
  let lastTenth = -1;
  return {
    update: (done, f) => {
      const tenth = Math.floor((10 * done) / Math.max(1, total));
      if (tenth === lastTenth && done < total) return;
      lastTenth = tenth;
      stream.write(`${label} ${done}/${total} ${text(f)} eta ${eta(done)}\n`);
    },
    stop: () => {},
  };
}
