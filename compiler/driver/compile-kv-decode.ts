// Packaging the KV-cache decode step (compiler/lower/kv-decode.ts) for WebAssembly: check the
// program, plan memory (the caches and position go to the state region), print the module and
// build the manifest, which declares the state buffers. runtime/wasm keeps them between runs
// and zeroes them on resetState().

import { checkProgram } from '../kernel/check.js';
import { buildKvDecodeProgram, type KvDecodeSpec } from '../lower/kv-decode.js';
import { buildManifest } from '../package/build-manifest.js';
import { packWeights } from '../package/pack-weights.js';
import { planMemory } from '../schedule/memory-plan.js';
import { printWasmModule } from '../../targets/wasm/module.js';
import { checkManifest } from '../../runtime/manifest.js';
import type { WasmCompilation } from './compile-model.js';

export function compileKvDecodeWasm(spec: KvDecodeSpec, options: { readonly optimize?: boolean } = {}): WasmCompilation {
  const program = buildKvDecodeProgram(spec);
  const problems = checkProgram(program);
  if (problems.length) throw new Error(`kv decode produced an invalid program:\n  ${problems.slice(0, 10).join('\n  ')}`);
  const plan = planMemory(program);
  const { bin, entries } = packWeights(program, plan, new Map());
  const printed = printWasmModule(program.kernels, { optimize: options.optimize ?? true });
  const manifest = buildManifest({
    program, plan, weights: entries, statsDims: new Map(),
    scratchBytes: new Map(printed.exports.map((e) => [e.name, e.scratchBytes] as const)),
  });
  checkManifest(JSON.parse(JSON.stringify(manifest)));
  return { program, plan, manifest, wasm: printed.binary, weights: bin, dims: new Map(), fixedDims: new Map(), notes: [] };
}
