// How fast is the reference interpreter on the examples? It is the oracle, not a target, but
// every check and test runs through it, so its speed decides how large a checked shape can be.
//
//   npm run build && node dist/bench/interpreter.js [--json]
//
// Each case runs with seeded random inputs and weights; Benchmark.js collects the samples
// (after its own warm-up) and we report the median and the spread of the per-run times.

import Benchmark from 'benchmark';
import { join, resolve } from 'node:path';
import { compile } from '../index.js';
import { runModel } from '../compiler/driver/run-model.js';
import { interpret } from '../compiler/interpret/interpreter.js';

const root = resolve(import.meta.dirname, '../..');

const CASES: { name: string; model: string; dims: Record<string, number> }[] = [
  { name: 'mlp B=64', model: 'examples/mlp.sluice', dims: { B: 64 } },
  { name: 'attention S=128', model: 'examples/attention.sluice', dims: { S: 128 } },
  { name: 'transformer-block S=64', model: 'examples/transformer-block.sluice', dims: { S: 64 } },
];

function median(xs: readonly number[]): number {
  const s = [...xs].sort((a, b) => a - b);
  const m = s.length >> 1;
  return s.length % 2 ? s[m]! : (s[m - 1]! + s[m]!) / 2;
}

const results: Record<string, unknown>[] = [];
for (const c of CASES) {
  const graph = compile(join(root, c.model)).graph;
  // Make inputs and weights once, so the timed function is the interpreter alone.
  const prepared = await runModel(graph, new Map(), { dims: c.dims, randomWeights: true });
  const dims = new Map(Object.entries(c.dims));
  const bench = new Benchmark(c.name, () => interpret(graph, prepared.inputs, prepared.weights, { dims }), { minSamples: 10, maxTime: 3 });
  bench.run();
  const samples = bench.stats.sample.map((s) => s * 1000);
  const row = { case: c.name, medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs: samples.length };
  results.push(row);
}

if (process.argv.includes('--json')) {
  process.stdout.write(`${JSON.stringify(results, null, 2)}\n`);
} else {
  for (const r of results) {
    process.stdout.write(`${String(r.case).padEnd(26)} median ${(r.medianMs as number).toFixed(2).padStart(9)} ms   min ${(r.minMs as number).toFixed(2)}   max ${(r.maxMs as number).toFixed(2)}   (${r.runs} runs)\n`);
  }
}
