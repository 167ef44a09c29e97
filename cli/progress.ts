// Progress on a terminal for long runs: a bar on stderr, only when stderr is a TTY and the
// user did not ask for --quiet or --json; it appears only after a short delay so quick runs
// stay clean.

import cliProgress from 'cli-progress';

export type ProgressFn = (done: number, total: number) => void;

export function progressBar(label: string, enabled: boolean): { update: ProgressFn; stop: () => void } {
  if (!enabled || !process.stderr.isTTY) return { update: () => {}, stop: () => {} };
  const start = Date.now();
  let bar: cliProgress.SingleBar | undefined;
  return {
    update(done, total) {
      if (!bar && Date.now() - start < 300) return;
      if (!bar) {
        bar = new cliProgress.SingleBar({ stream: process.stderr, format: `${label} [{bar}] {value}/{total} nodes`, clearOnComplete: true, hideCursor: true }, cliProgress.Presets.shades_classic);
        bar.start(total, done);
      }
      bar.update(done);
    },
    stop() {
      bar?.stop();
    },
  };
}
