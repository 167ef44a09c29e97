// printWasmModule: Kernel IR kernels → one validated, optimised WebAssembly module through
// binaryen (SIMD128, shared memory for threads). The calling convention, memory and scratch
// contract are in abi.ts; this file assembles the functions and the module around them.

import binaryen from 'binaryen';
import type { Kernel } from '../../compiler/kernel/ir.js';
import {
  BASE_FEATURES, MEMORY_IMPORT, MEMORY_INITIAL_PAGES, MEMORY_MAXIMUM_PAGES, MEMORY_SHARED, kernelParamLayout, storageBytes,
  type WasmFeature, type WasmKernelExport, type WasmModuleArtifact, type WasmPrintOptions,
} from './abi.js';
import { wasmType, type ArrayPlacement, type Binding, type KernelContext } from './context.js';
import { FunctionBuilder } from './function-builder.js';
import { functionsWithSharedExpressions } from './check-tree.js';
import { compileItemLoop, gridNestOf } from './grid.js';
import { HalfLibrary } from './half.js';
import { MathLibrary } from './math-library.js';
import { nonNegativeVariables } from './non-negative.js';
import { planPrivateArrays } from './private-arrays.js';

/** binaryen's flexible-inlining limit (in IR nodes) at -O3: large enough for math$exp_f32x4. */
const FLEXIBLE_INLINE_MAX_SIZE = 100;

const FEATURES =
  binaryen.Features.SIMD128 | binaryen.Features.Atomics | binaryen.Features.BulkMemory |
  binaryen.Features.BulkMemoryOpt | binaryen.Features.NontrappingFPToInt | binaryen.Features.SignExt |
  binaryen.Features.MutableGlobals;

/** Kernel functions live under this prefix so no kernel name can clash with a library function. */
const KERNEL_PREFIX = 'kernel$';

export function printWasmModule(kernels: readonly Kernel[], options: WasmPrintOptions = {}): WasmModuleArtifact {
  const m = new binaryen.Module();
  try {
    m.setFeatures(options.relaxedSimd ? FEATURES | binaryen.Features.RelaxedSIMD : FEATURES);
    // declare the memory first, then mark it imported (the other order drops the import)
    m.setMemory(MEMORY_INITIAL_PAGES, MEMORY_MAXIMUM_PAGES, null, [], MEMORY_SHARED, false, '0');
    m.addMemoryImport('0', MEMORY_IMPORT.module, MEMORY_IMPORT.name, MEMORY_SHARED);
    const math = new MathLibrary(m);
    const half = new HalfLibrary(m);
    const intPow = new Set<string>();
    const seen = new Set<string>();
    const exports = kernels.map((kernel) => {
      if (seen.has(kernel.name)) throw new Error(`wasm printer: two kernels named '${kernel.name}'`);
      seen.add(kernel.name);
      return addKernel(m, kernel, { math, half, intPow }, options);
    });
    const shared = functionsWithSharedExpressions(m);
    if (shared.length > 0) {
      throw new Error(`wasm printer: an expression node is used twice (binaryen IR must be a tree) in ${shared.join(', ')} (a printer bug)`);
    }
    if (!m.validate()) {
      throw new Error(`wasm printer: binaryen rejected the module for kernels ${kernels.map((k) => `'${k.name}'`).join(', ')} (a printer bug)`);
    }
    if (options.optimize ?? true) {
      binaryen.setOptimizeLevel(3);
      binaryen.setShrinkLevel(0);
      // Inline functions up to the f32x4 exp's size (binaryen's default, 20, keeps it a call):
      // in the attention and softmax loops the call and its constants cost ~15% of the kernel.
      binaryen.setFlexibleInlineMaxSize(FLEXIBLE_INLINE_MAX_SIZE);
      binaryen.setDebugInfo(options.debugNames ?? false);
      m.optimize();
    }
    const features: WasmFeature[] = [...BASE_FEATURES, ...(options.relaxedSimd ? (['relaxed-simd'] as const) : [])];
    const binary = m.emitBinary();
    return options.debugNames ? { binary, text: m.emitText(), exports, features } : { binary, exports, features };
  } finally {
    m.dispose();
  }
}

function addKernel(
  m: binaryen.Module, kernel: Kernel,
  { math, half, intPow }: { math: MathLibrary; half: HalfLibrary; intPow: Set<string> }, options: WasmPrintOptions,
): WasmKernelExport {
  const layout = kernelParamLayout(kernel.buffers.length, kernel.uniforms.length);
  const fb = new FunctionBuilder(m, Array<binaryen.Type>(layout.count).fill(binaryen.i32));
  const names = new Map<string, Binding>();
  const buffers = new Map<string, { param: number; dtype: (typeof kernel.buffers)[number]['dtype'] }>();
  kernel.buffers.forEach((b, i) => {
    buffers.set(b.name, { param: i, dtype: b.dtype });
    fb.nameParam(i, b.name);
  });
  kernel.uniforms.forEach((u, i) => {
    const index = kernel.buffers.length + i;
    names.set(u.name, { kind: 'local', index, type: 'i32' });
    fb.nameParam(index, u.name);
  });
  fb.nameParam(layout.itemStart, 'itemStart');
  fb.nameParam(layout.itemEnd, 'itemEnd');
  fb.nameParam(layout.scratch, 'scratch');

  const { plans, scratchBytes } = planPrivateArrays(kernel);
  const arrays = new Map<string, ArrayPlacement>();
  for (const [name, plan] of plans) {
    arrays.set(name, plan.kind === 'locals'
      ? { kind: 'locals', type: plan.type, locals: Array.from({ length: plan.size }, (_, i) => fb.local(wasmType(plan.type, kernel.name), `${name}_${i}`)) }
      : plan);
  }

  let labels = 0;
  const ctx: KernelContext = {
    m, fb, math, half, intPow, options, kernelName: kernel.name, buffers, names, arrays,
    scratchParam: layout.scratch,
    nonNegative: nonNegativeVariables(kernel),
    label: (base) => `${base}${labels++}`,
  };
  compileItemLoop(ctx, gridNestOf(kernel.name, kernel.body), layout.itemStart, layout.itemEnd);
  const internal = KERNEL_PREFIX + kernel.name;
  fb.finish(internal, binaryen.none, undefined, options.debugNames ?? false);
  m.addFunctionExport(internal, kernel.name);
  return {
    name: kernel.name,
    buffers: kernel.buffers.map((b) => ({ name: b.name, dtype: b.dtype, elementBytes: storageBytes(b.dtype) })),
    uniforms: kernel.uniforms.map((u) => u.name),
    gridRank: gridNestOf(kernel.name, kernel.body).axes.length,
    scratchBytes,
  };
}
