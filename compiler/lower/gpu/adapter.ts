// The generic GPU adapter: any CPU-style kernel (a grid of independent work items, each run
// by one thread of execution) becomes a GPU kernel whose threads take the work items —
// item = workgroup · ADAPTER_THREADS + thread, guarded at the ragged end. The work items'
// bodies are kept as they are, so every lowering without a GPU schedule of its own (pool,
// topk, resize, quantize, einsum, conv_transpose, cumsum, ...) runs on GPU targets unchanged.

import { ceilDivDim, type Dim } from '../../ir/dim.js';
import { div, i32, lt, mul, add, rem, KernelBuilder } from '../../kernel/builder.js';
import { gridLoops } from '../../kernel/check.js';
import type { Expr, Kernel, Stmt } from '../../kernel/ir.js';
import type { LoweredKernel } from '../specs.js';
import type { UniformDims } from '../uniforms.js';
import { threadLoop, workgroupGrid } from './grid.js';
import { product } from '../group-context.js';

/** Threads per workgroup of an adapted kernel: work items are coarse, so a small workgroup keeps many in flight. */
export const ADAPTER_THREADS = 64;

function collectNames(stmts: readonly Stmt[], into: Set<string>): void {
  for (const s of stmts) {
    if (s.kind === 'let' || s.kind === 'array') into.add(s.name);
    if (s.kind === 'for') {
      into.add(s.var);
      collectNames(s.body, into);
    }
    if (s.kind === 'if') {
      collectNames(s.then, into);
      collectNames(s.else, into);
    }
  }
}

/** Whether a kernel is already a GPU schedule (more than one thread per workgroup). */
export function isGpuKernel(k: Kernel): boolean {
  return k.workgroupSize[0] * k.workgroupSize[1] * k.workgroupSize[2] > 1;
}

/** `lk` with its grid items spread over the threads of workgroups (unchanged when already a GPU kernel). */
export function adaptToGpu(lk: LoweredKernel, threads = ADAPTER_THREADS): LoweredKernel {
  const k = lk.kernel;
  if (isGpuKernel(k)) return lk;
  const nest = gridLoops(k);
  if (nest.length !== lk.grid.length) throw new Error(`adaptToGpu: kernel '${k.name}' has ${nest.length} grid loops, its dispatch ${lk.grid.length}`);
  const kb = new KernelBuilder(k.name, k.sources);
  const names = new Set<string>();
  collectNames(k.body, names);
  for (const n of names) kb.fresh(n);
  for (const b of k.buffers) kb.buffer(b.name, b.dtype, b.access);
  for (const u of k.uniforms) kb.uniform(u.name);
  const uniforms: UniformDims = new Map(Object.entries(lk.uniforms));

  // The work items' bodies, without the grid loops; comments before the nest stay in front.
  const inner = nest.length > 0 ? nest[nest.length - 1]!.body : k.body;
  const leading = k.body.filter((s) => s.kind === 'comment');
  const extents = nest.map((l) => l.end);
  const items: Dim = product(lk.grid);
  kb.emit(...leading);
  const grid = workgroupGrid(kb, uniforms, ceilDivDim(items, threads), (wg) => {
    threadLoop(kb, threads, (t) => {
      const item = kb.let('item', add(mul(wg, i32(threads)), t));
      const total = extents.reduce<Expr>((a, e) => mul(a, e), i32(1));
      kb.when(lt(item, total), () => {
        // Unravel the item into the original grid loop variables (outermost varies slowest).
        let below: Expr = i32(1);
        const values: Expr[] = [];
        for (let d = nest.length - 1; d >= 0; d--) {
          const q = d === nest.length - 1 ? item : div(item, below);
          values[d] = d === 0 ? q : rem(q, extents[d]!);
          below = mul(below, extents[d]!);
        }
        nest.forEach((l, d) => kb.emit({ kind: 'let', name: l.var, type: 'i32', init: values[d]! }));
        kb.emit(...inner);
      });
    });
  });
  const kernel = kb.finish();
  return { kernel, buffers: lk.buffers, uniforms: Object.fromEntries(uniforms), grid };
}
