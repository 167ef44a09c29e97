// The contract between the WASM printer (targets/wasm/module.ts) and the runtime that loads
// its modules (runtime/wasm). Everything a runtime must know to call a kernel is here or in
// the per-kernel `WasmKernelExport` the printer returns; nothing else is implied.
//
// Memory. The module imports one memory, `env.memory`, shared (threads need it), declared
// with 1 initial page and 65536 maximum pages; the runtime creates it (any initial size) and
// grows it. The module has no data segments, no start function, no globals, no tables.
//
// Kernels. One exported function per kernel, named exactly `kernel.name`:
//
//     (buf_0 … buf_{n-1}: i32,   byte offsets of the buffers, in kernel.buffers order
//      uni_0 … uni_{m-1}: i32,   uniform values, in kernel.uniforms order
//      itemStart: i32, itemEnd: i32,
//      scratch: i32)             byte offset of this worker's scratch area
//     → void
//
// Work items. The leading perfect nest of `grid.*` loops is flattened row-major (outermost
// axis slowest) into items 0 … Π(extents) − 1; a call runs items [itemStart, itemEnd). The
// runtime splits that range over its workers however it likes; items are independent. A
// kernel with no grid loop has exactly one item (item 0). An empty range does nothing.
//
// Scratch. Private arrays that cannot live in wasm locals are placed in a per-worker scratch
// area of `scratchBytes` bytes (WasmKernelExport), aligned to SCRATCH_ALIGN. Two calls that
// may run at the same time must get disjoint scratch areas; one worker reuses its own area for
// every call. When `scratchBytes` is 0 the argument is ignored (pass 0).
//
// Data layout. Element i of a buffer of storage dtype d lives at byte offset buf + i·bytes(d),
// little endian. bool is one byte holding 0 or 1; f16 and bf16 are 2 bytes (the module
// converts on load and store, rounding to nearest even); i8/u8/i16/u16 load sign- or
// zero-extended to i32 and store truncated; i64 and u64 are 8-byte integers. Buffers need no
// alignment (wasm loads are unaligned-safe), though element-aligned offsets are faster.
//
// Numerics. Float → integer casts use the non-trapping saturating conversions (NaN → 0,
// out-of-range → the nearest representable integer). Integer division or remainder by zero
// yields 0 (and INT_MIN / −1 wraps) rather than trapping the worker; the Kernel IR interpreter
// reports it as an error, so correct kernels never do it. Float ops follow the Kernel IR
// (compiler/kernel/interpret-ops.ts); `fma` on f32 is a multiply then an add (two roundings)
// unless the module was printed with relaxed SIMD.

import type { DType } from '../../compiler/ir/dtype.js';

/** Where the module's memory import comes from: `imports[module][name]`. */
export const MEMORY_IMPORT = { module: 'env', name: 'memory' } as const;
/** Declared limits of the imported memory, in 64 KiB pages; the runtime's memory must be shared. */
export const MEMORY_INITIAL_PAGES = 1;
export const MEMORY_MAXIMUM_PAGES = 65536;
export const MEMORY_SHARED = true;
export const WASM_PAGE_BYTES = 65536;

/** Alignment (bytes) the runtime must give each worker's scratch area. */
export const SCRATCH_ALIGN = 16;

/**
 * WebAssembly features the module uses (binaryen's names). `relaxed-simd` appears only when
 * the module was printed with `relaxedSimd: true`; a runtime that cannot validate such a
 * module loads the plain one instead.
 */
export const BASE_FEATURES = [
  'simd128', 'threads', 'bulk-memory', 'nontrapping-float-to-int', 'sign-ext', 'mutable-globals',
] as const;
export type WasmFeature = (typeof BASE_FEATURES)[number] | 'relaxed-simd';

/** Bytes of one element of a kernel buffer with this storage dtype (what i·bytes(d) uses). */
export function storageBytes(dtype: DType): number {
  switch (dtype) {
    case 'f64': case 'i64': case 'u64': return 8;
    case 'f32': case 'i32': case 'u32': return 4;
    case 'f16': case 'bf16': case 'i16': case 'u16': return 2;
    case 'i8': case 'u8': case 'bool': return 1;
    default: throw new Error(`wasm abi: ${dtype} cannot be a kernel buffer (sub-byte and fp8 data are unpacked first)`);
  }
}

/** What the runtime needs to know about one exported kernel function. */
export interface WasmKernelExport {
  /** The export name (= Kernel.name). */
  readonly name: string;
  /** Buffer parameters in call order (the first n arguments). */
  readonly buffers: readonly { readonly name: string; readonly dtype: DType; readonly elementBytes: number }[];
  /** Uniform names in call order (the next m arguments). */
  readonly uniforms: readonly string[];
  /** Number of leading grid loops flattened into items (0: the kernel has one item). */
  readonly gridRank: number;
  /** Bytes of scratch memory each concurrently running call needs (0: none). */
  readonly scratchBytes: number;
}

/** Positions of the trailing fixed parameters, after the buffers and uniforms. */
export function kernelParamLayout(buffers: number, uniforms: number): {
  readonly itemStart: number; readonly itemEnd: number; readonly scratch: number; readonly count: number;
} {
  const base = buffers + uniforms;
  return { itemStart: base, itemEnd: base + 1, scratch: base + 2, count: base + 3 };
}

/** The printer's output. */
export interface WasmModuleArtifact {
  /** The module's bytes, ready for `new WebAssembly.Module(binary)`. */
  readonly binary: Uint8Array;
  /** The text format, when `debugNames` was asked for (for `sluice inspect` and tests). */
  readonly text?: string;
  readonly exports: readonly WasmKernelExport[];
  readonly features: readonly WasmFeature[];
}

export interface WasmPrintOptions {
  /** Keep local names and return the text format too. Default false. */
  readonly debugNames?: boolean;
  /** Run binaryen's optimiser at -O3. Default true. */
  readonly optimize?: boolean;
  /**
   * Use relaxed SIMD: f32x4 `fma` becomes `f32x4.relaxed_madd` (fused where the CPU has it).
   * Default false; the runtime picks this module only where the engine validates it.
   */
  readonly relaxedSimd?: boolean;
}
