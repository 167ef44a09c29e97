// The node tests on the wasm target: the imported graph goes through the graph passes, is
// lowered and printed into one WebAssembly module (compileWasm: lowerProgram → memory plan →
// printWasmModule → manifest), loaded into the wasm runtime on one thread and run on the
// test's inputs. Outputs are compared exactly as on the interpreter (runner.ts). A lowering
// refusal (an SL4000–SL4999 code) is "unsupported" with its message; a wrong number is "failed".

import { compileWasm } from '../../compiler/driver/compile-model.js';
import type { Tensor } from '../../compiler/interpret/tensor.js';
import { graphPasses, runPasses } from '../../compiler/passes/pipeline.js';
import { loadModel, type Model } from '../../runtime/wasm/index.js';
import { checkOutputs, errorResult, importNodeTest, UNSUPPORTED_CODES, type NodeTestEntry, type NodeTestResult } from './runner.js';

/** Import refusals plus the lowering's: no kernel for an op or dtype (4001), a model too large for wasm32 (4101). */
const WASM_UNSUPPORTED_CODES: ReadonlySet<number> = new Set([...UNSUPPORTED_CODES, 4001, 4101]);

/**
 * Modules are optimised as `sluice compile` ships them, so the column checks what users run
 * (and binaryen's optimiser passes are exercised on every op); it costs ~15 s of the suite.
 */
const OPTIMIZE = true;

export async function runNodeTestOnWasm(entry: NodeTestEntry): Promise<NodeTestResult> {
  const imported = importNodeTest(entry);
  if (!imported.ok) return imported.result;
  const { base, frozen, inputs } = imported;
  let model: Model | undefined;
  try {
    const { graph } = runPasses(imported.graph, graphPasses());
    const compiled = compileWasm(graph, { optimize: OPTIMIZE, randomWeights: false });
    model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
    const given = Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }]));
    const got = await model.run(given as never);
    const outputs = new Map<string, Tensor>(Object.entries(got).map(([name, o]) => [name, { dtype: o.dtype, shape: o.shape, data: o.data } as Tensor]));
    const problems = checkOutputs(entry, outputs);
    return { ...base, frozen, status: problems.length ? 'fail' : 'pass', reason: problems.join('; ') };
  } catch (e) {
    return errorResult(base, frozen, e, WASM_UNSUPPORTED_CODES);
  } finally {
    model?.dispose();
  }
}
