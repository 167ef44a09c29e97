// A Program: a whole model lowered to kernels for one target — the `ScheduledGraph` stage of
// the pipeline (DESIGN "The pipeline"). It lists every value that lives in device memory,
// the kernels, and the dispatches in order. The memory plan (compiler/schedule) gives the
// temporaries their arena offsets; packaging writes it all into manifest.json; runtimes and
// the Program interpreter (compiler/kernel/run-program.ts) execute the steps in order.

import type { Dim } from '../ir/dim.js';
import type { DType } from '../ir/dtype.js';
import type { DimDecl } from '../ir/graph.js';
import type { Tensor } from '../interpret/tensor.js';
import type { Kernel } from './ir.js';
import type { Span } from '../diagnostics/diagnostic.js';
import type { MessageCode } from '../diagnostics/messages.js';

/**
 * Where a value's memory comes from:
 * - `input`: copied in per call (bound by the user's input `name`);
 * - `weight`: loaded once (a param bound from the weights, or a constant held in the graph);
 * - `temp`: an intermediate, placed in the arena by the memory plan;
 * - `output`: written by a kernel and read back after the call (graph output `name`);
 * - `state`: persists between calls (KV caches), reset on demand;
 * - `status`: the error words kernels write when they meet bad data (a gather index out of
 *   range): zeroed before each call, read after it (see ErrorSite).
 */
export type ValueRole = 'input' | 'weight' | 'temp' | 'output' | 'state' | 'status';

export interface ProgramValue {
  /** Unique id (`v12`), used by dispatch bindings. */
  readonly id: string;
  readonly role: ValueRole;
  /** Input, output, param or state name; for a constant weight, a generated one. */
  readonly name: string;
  readonly dtype: DType;
  readonly shape: readonly Dim[];
  /** The data of a constant weight (params are bound from the model's weights by name). */
  readonly constant?: Tensor;
}

export interface Dispatch {
  readonly kernel: string;
  /** Kernel buffer parameter name → value id. */
  readonly buffers: Readonly<Record<string, string>>;
  /** Kernel uniform name → its value as a dim expression of the model's symbols. */
  readonly uniforms: Readonly<Record<string, Dim>>;
  /** Extents of the kernel's grid loops (outermost first), as dims. */
  readonly grid: readonly Dim[];
}

/**
 * A condition on the symbols that the graph's shapes assume but the kernels, reading views as
 * index arithmetic, cannot check themselves (a slice must stay inside its tensor): when `when`
 * evaluates above 0, every `atLeastZero` must evaluate to 0 or more. Runtimes check these once
 * the dims are bound, so a size the model cannot take is an error, not an out-of-bounds read.
 */
export interface ShapeConstraint {
  /** What goes wrong when it does not hold: "slice '/Slice_3' on axis 2 (start 0, step 1, count sequence, size 32) leaves its tensor". */
  readonly what: string;
  readonly when: Dim;
  readonly atLeastZero: readonly Dim[];
}

/**
 * An argument of an error site's message: a literal, the `value`-th number the kernel wrote
 * (the bad index), or a dim evaluated at the call's sizes.
 */
export type ErrorArg = string | number | { readonly value: number } | { readonly dim: Dim };

/**
 * A place in a kernel that checks data the interpreter would refuse (a gather index out of
 * range). Kernels still clamp, so they never read out of bounds, and also write site `i`'s
 * words of the status value (runtime/manifest.ts STATUS_WORDS_PER_SITE: a flag, then each
 * number as low and high i32 halves); runtimes read them after a call and report the first
 * site flagged with the interpreter's diagnostic.
 */
export interface ErrorSite {
  readonly code: MessageCode;
  readonly args: readonly ErrorArg[];
  /** The graph node, for messages (`/Gather_2`, or `g.sluice:4:17`), its op, and its source span. */
  readonly node: string;
  readonly op: string;
  readonly span?: Span;
}

export interface Program {
  readonly name: string;
  /** The model's symbols, bound per call from input shapes or `--dim`. */
  readonly dims: readonly DimDecl[];
  readonly values: readonly ProgramValue[];
  readonly kernels: readonly Kernel[];
  readonly dispatches: readonly Dispatch[];
  /** Graph inputs and outputs in declaration order, by value id. */
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  /** Conditions on the dims the runtime checks before a run (empty when the shapes need none). */
  readonly constraints?: readonly ShapeConstraint[];
  /** Data checks (absent or empty: none); `status` is the value (role 'status') the kernels write them to. */
  readonly errors?: { readonly status: string; readonly sites: readonly ErrorSite[] };
}

/** A description of the machine a schedule is made for; the cost model reads it. */
export interface TargetDescription {
  readonly name: 'wasm' | 'webgpu' | 'cuda';
  /** Lanes of the widest f32 vector (4 for SIMD128). */
  readonly vectorLanes: number;
  /** Vector registers the register tile may hold (accumulators + operands). */
  readonly vectorRegisters: number;
  /** Bytes of the cache a K block of a matmul should fit in. */
  readonly cacheBytes: number;
  /** GPU limits (undefined on CPU targets). */
  readonly maxWorkgroupInvocations?: number;
  readonly maxWorkgroupStorageBytes?: number;
  readonly subgroupSize?: number;
  /**
   * Subgroups of a width known only at run time (WebGPU's optional `subgroups` feature):
   * schedules may use Kernel IR subgroup_reduce/subgroup_size. Only WEBGPU_SUBGROUPS_TARGET
   * sets it: a package holds those kernels as a variant beside the fallback.
   */
  readonly subgroups?: boolean;
  /** Warp-level 16×16×16 f16/bf16 multiply-accumulate (Kernel IR `mma`); matmuls of such operands use it. */
  readonly tensorCores?: boolean;
}

export const WASM_TARGET: TargetDescription = {
  name: 'wasm',
  vectorLanes: 4,
  vectorRegisters: 16,
  cacheBytes: 32 * 1024,
};

/**
 * WebGPU's guaranteed limits (the WebGPU spec's defaults); the runtime checks the adapter's
 * own. Subgroups are optional, so schedules must work without them.
 */
export const WEBGPU_TARGET: TargetDescription = {
  name: 'webgpu',
  vectorLanes: 4,
  vectorRegisters: 32,
  cacheBytes: 16 * 1024,
  maxWorkgroupInvocations: 256,
  maxWorkgroupStorageBytes: 16 * 1024,
};

/**
 * WebGPU with the `subgroups` feature: the variant of the row-reduction kernels the runtime
 * picks when the adapter offers subgroups of a width that fits (compile-webgpu.ts).
 */
export const WEBGPU_SUBGROUPS_TARGET: TargetDescription = { ...WEBGPU_TARGET, subgroups: true };

/** sm_80 and newer: 1024 threads per block, 48 KiB of static shared memory, warps of 32. */
export const CUDA_TARGET: TargetDescription = {
  name: 'cuda',
  vectorLanes: 4,
  vectorRegisters: 64,
  cacheBytes: 48 * 1024,
  maxWorkgroupInvocations: 1024,
  maxWorkgroupStorageBytes: 48 * 1024,
  subgroupSize: 32,
  tensorCores: true,
};
