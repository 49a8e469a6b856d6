// Seek-to-trajectory latency in a large trajectories.bin (written by bench/trajectory_store.py):
// open the run's files, then read N random trajectories (one index entry + one frame + decode each),
// side by side with reading the same records in file order. Prints one JSON object.
//   node --import tsx bench/trajectory_seek.ts RUN_DIR [--samples 2000]
import { TrajectoryFile } from '../src/protocol/trajectories';

const dir = process.argv[2]!;
const si = process.argv.indexOf('--samples');
const N = si > 0 ? Number(process.argv[si + 1]) : 2000;

function quantile(xs: number[], q: number): number {
  const s = [...xs].sort((a, b) => a - b);
  return s[Math.min(s.length - 1, Math.floor(q * s.length))]!;
}

async function main() {
  let t = performance.now();
  const file = await TrajectoryFile.open(dir);
  if (!file) throw new Error(`no trajectories in ${dir}`);
  const count = await file.count();
  const first = await file.read(count - 1);
  const coldMs = performance.now() - t;
  let seed = 12345;
  const rand = () => ((seed = (seed * 1103515245 + 12345) % 2 ** 31) / 2 ** 31);
  const picks = Array.from({ length: N }, () => Math.floor(rand() * count));
  const seek: number[] = [];
  let tokens = 0;
  for (const i of picks) {
    t = performance.now();
    const tr = await file.read(i);
    seek.push(performance.now() - t);
    tokens += tr.header.n_tokens;
  }
  const seq: number[] = [];
  for (let i = 0; i < N; i++) {
    t = performance.now();
    await file.read(i);
    seq.push(performance.now() - t);
  }
  await file.close();
  const mean = (xs: number[]) => xs.reduce((a, b) => a + b, 0) / xs.length;
  console.log(JSON.stringify({
    trajectories: count, samples: N, open_and_first_read_ms: coldMs, last_step: first.header.step,
    seek_ms_p50: quantile(seek, 0.5), seek_ms_p99: quantile(seek, 0.99), seek_ms_max: Math.max(...seek), seek_ms_mean: mean(seek),
    sequential_ms_mean: mean(seq), ratio_random_to_sequential: mean(seek) / mean(seq), mean_tokens_per_read: tokens / N,
  }));
}

main().catch((e) => {
  console.error(e);
  process.exit(1);
});
