// Where a compiled model's time goes: each dispatch of one bench case (bench/onnx-cases.ts)
// timed on one thread, as the runtime lays it out (runtime/wasm/layout.ts), summed per kernel.
//
//   npm run build && node dist/bench/wasm-kernel-profile.js [--cases ResNet] [--runs 5]
//
// Inputs are whatever memory holds (zeros, then the previous run's values): timing only, no
// checks — bench/wasm-vs-ort.ts checks the outputs.

import { mkdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { compile } from '../index.js';
import { MEMORY_IMPORT } from '../targets/wasm/abi.js';
import { computeLayout } from '../runtime/wasm/layout.js';
import { createMemory, ensureBytes } from '../runtime/wasm/memory.js';
import { wasmApi } from '../runtime/wasm/wasm-api.js';
import { benchCases } from './onnx-cases.js';

type KernelFunction = (...args: number[]) => void;

const argv = process.argv.slice(2);
const get = (name: string): string | undefined => {
  const i = argv.indexOf(name);
  return i >= 0 ? argv[i + 1] : undefined;
};
const filter = get('--cases')?.split(',');
const runs = Number(get('--runs') ?? 5);
const root = resolve(import.meta.dirname, '../..');

for (const c of benchCases().filter((k) => !filter || filter.some((f) => k.name.toLowerCase().includes(f.toLowerCase())))) {
  let path: string;
  if (typeof c.model === 'string') path = resolve(root, c.model);
  else {
    const dir = join(tmpdir(), `sluice-profile-${process.pid}`);
    mkdirSync(dir, { recursive: true });
    path = join(dir, 'case.onnx');
    writeFileSync(path, c.model);
  }
  const compiled = compile(path, { target: 'wasm', dims: c.dims }).wasm!;
  const manifest = compiled.manifest;
  const layout = computeLayout(manifest, compiled.dims, 1);
  const memory = createMemory(manifest.regions.weights, true);
  new Uint8Array(memory.buffer).set(compiled.weights.subarray(0, manifest.regions.weights), 0);
  ensureBytes(memory, layout.totalBytes);
  const api = wasmApi();
  const module = await api.compile(compiled.wasm);
  const instance = new api.Instance(module, { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
  const kernels = manifest.kernels.map((k) => instance.exports[k.name] as KernelFunction);
  const perDispatch = layout.dispatches.map(() => [] as number[]);
  for (let r = 0; r < runs + 1; r++) {
    layout.dispatches.forEach((plan, i) => {
      const start = performance.now();
      kernels[plan.kernelIndex]!(...plan.args, 0, plan.items, layout.scratchBase);
      if (r > 0) perDispatch[i]!.push(performance.now() - start); // run 0 warms up
    });
  }
  const median = (xs: number[]): number => [...xs].sort((a, b) => a - b)[xs.length >> 1]!;
  const byKernel = new Map<string, number>();
  layout.dispatches.forEach((plan, i) => byKernel.set(plan.kernel, (byKernel.get(plan.kernel) ?? 0) + median(perDispatch[i]!)));
  const total = [...byKernel.values()].reduce((a, b) => a + b, 0);
  process.stdout.write(`${c.name}: ${total.toFixed(2)} ms in ${layout.dispatches.length} dispatches\n`);
  for (const [name, ms] of [...byKernel].sort((a, b) => b[1] - a[1])) {
    process.stdout.write(`  ${ms.toFixed(2).padStart(9)} ms ${((100 * ms) / total).toFixed(1).padStart(5)}%  ${name}\n`);
  }
}

