// Where everything lives in linear memory for one binding of the model's symbols, and what
// each dispatch passes to its kernel. Computed once per distinct set of dim values and reused
// while the dims stay the same.
//
//   0 ─ weights ─ state ─ io ─ arena ─ scratch (one area per thread) ─ end
//
// Every region starts at a multiple of the manifest's alignment (16 bytes).

import { DimEvalError, evalDimJson } from '../dim-eval.js';
import type { DimJson, Manifest } from '../manifest.js';
import { InputError } from './bind-inputs.js';
import { SCRATCH_ALIGN } from './module-abi.js';

export interface DispatchPlan {
  readonly kernel: string;
  /** Index into manifest.kernels (and the instance's kernel functions). */
  readonly kernelIndex: number;
  /** Buffer byte offsets then uniform values, in the export's parameter order. */
  readonly args: Int32Array;
  /** Work items: the product of the grid extents (1 without a grid). */
  readonly items: number;
  /** Bytes of all buffers the dispatch touches: the measure of its size for threading. */
  readonly bytes: number;
}

export interface MemoryLayout {
  /** The dim values it was made for, as a cache key. */
  readonly key: string;
  readonly stateBase: number;
  readonly stateBytes: number;
  /** Identifies where each state buffer lives; when it changes, state cannot be kept. */
  readonly stateSignature: string;
  readonly scratchBase: number;
  /** Bytes of scratch per thread (a multiple of the alignment). */
  readonly scratchStride: number;
  /** Bytes of memory needed in all, scratch for every thread included. */
  readonly totalBytes: number;
  /** Absolute byte offset and size of every value. */
  readonly offsets: ReadonlyMap<string, number>;
  readonly sizes: ReadonlyMap<string, number>;
  readonly dispatches: readonly DispatchPlan[];
}

/** Cache key of a binding: the values of the model's symbols in declaration order. */
export function layoutKey(manifest: Manifest, dims: ReadonlyMap<string, number>): string {
  return manifest.dims.map((d) => dims.get(d.name)).join(',');
}

function alignUp(n: number, alignment: number): number {
  return Math.ceil(n / alignment) * alignment;
}

/** wasm32 addresses are 32-bit: a memory can never exceed 4 GiB. */
export const MAX_MEMORY_BYTES = 2 ** 32;

export function computeLayout(manifest: Manifest, dims: ReadonlyMap<string, number>, threads: number): MemoryLayout {
  const evaluate = (d: DimJson, what: string): number => {
    try {
      return evalDimJson(d, dims);
    } catch (e) {
      if (e instanceof DimEvalError) throw new InputError(`with ${[...dims].map(([k, v]) => `${k}=${v}`).join(', ')}: ${what}: ${e.message}`);
      throw e;
    }
  };
  const a = manifest.arena.alignment;
  const stateBase = alignUp(manifest.regions.weights, a);
  const stateBytes = evaluate(manifest.regions.state, 'the state region');
  const ioBase = stateBase + alignUp(stateBytes, a);
  const ioBytes = evaluate(manifest.regions.io, 'the input/output region');
  const arenaBase = ioBase + alignUp(ioBytes, a);
  const arenaBytes = evaluate(manifest.arena.bytes, 'the arena');
  const scratchBase = alignUp(arenaBase + arenaBytes, Math.max(a, SCRATCH_ALIGN));
  const scratchStride = alignUp(Math.max(0, ...manifest.kernels.map((k) => k.scratchBytes ?? 0)), Math.max(a, SCRATCH_ALIGN));
  const totalBytes = scratchBase + scratchStride * threads;
  if (totalBytes > MAX_MEMORY_BYTES) {
    throw new InputError(`with ${[...dims].map(([k, v]) => `${k}=${v}`).join(', ')} the model needs ${totalBytes} bytes of memory, more than WebAssembly's 4 GiB`);
  }

  const base = { weights: 0, state: stateBase, io: ioBase, arena: arenaBase } as const;
  const offsets = new Map<string, number>();
  const sizes = new Map<string, number>();
  for (const v of manifest.values) {
    offsets.set(v.id, base[v.location.region] + evaluate(v.location.offset, `the offset of value ${v.id} (${v.name})`));
    sizes.set(v.id, evaluate(v.bytes, `the size of value ${v.id} (${v.name})`));
  }
  const stateSignature = manifest.state.map((s) => `${offsets.get(s.value)}:${sizes.get(s.value)}`).join(',');

  const kernelIndex = new Map(manifest.kernels.map((k, i) => [k.name, i]));
  const dispatches = manifest.dispatches.map((d, i): DispatchPlan => {
    const index = kernelIndex.get(d.kernel)!;
    const kernel = manifest.kernels[index]!;
    const args = new Int32Array(kernel.buffers.length + kernel.uniforms.length);
    let bytes = 0;
    kernel.buffers.forEach((b, j) => {
      const id = d.buffers[b.name]!;
      args[j] = offsets.get(id)!;
      bytes += sizes.get(id)!;
    });
    kernel.uniforms.forEach((u, j) => {
      const value = evaluate(d.uniforms[u.name]!, `uniform ${u.name} of dispatch ${i} (${d.kernel})`);
      if (value > 0x7fffffff) throw new InputError(`uniform ${u.name} of kernel ${d.kernel} is ${value}, beyond a 32-bit integer`);
      args[kernel.buffers.length + j] = value;
    });
    const items = d.grid.reduce<number>((n, g, j) => n * evaluate(g, `grid extent ${j} of dispatch ${i} (${d.kernel})`), 1);
    if (items > 0x7fffffff) throw new InputError(`dispatch ${i} (${d.kernel}) has ${items} work items, beyond a 32-bit integer`);
    return { kernel: d.kernel, kernelIndex: index, args, items, bytes };
  });

  // Sanity: every value inside its region's bounds (a manifest bug would corrupt memory).
  for (const v of manifest.values) {
    const end = offsets.get(v.id)! + sizes.get(v.id)!;
    const limit = { weights: stateBase, state: ioBase, io: arenaBase, arena: scratchBase }[v.location.region];
    if (end > limit && sizes.get(v.id)! > 0) throw new Error(`sluice runtime: value ${v.id} (${v.name}) ends at byte ${end}, past its ${v.location.region} region (${limit}); the manifest is inconsistent`);
  }
  return { key: layoutKey(manifest, dims), stateBase, stateBytes, stateSignature, scratchBase, scratchStride, totalBytes, offsets, sizes, dispatches };
}
