// Runs kernels printed by targets/wasm in this process: a shared WebAssembly.Memory as the
// runtime makes it, buffers copied in as their storage bytes, the kernel called over item
// ranges, outputs read back as the interpreter's host storage (allocData) so the two compare.

import type { DType } from '../../../compiler/ir/dtype.js';
import { fromBf16Bits, fromHalfBits, toBf16Bits, toHalfBits } from '../../../compiler/interpret/float-formats.js';
import { allocData, type TensorData } from '../../../compiler/interpret/tensor.js';
import type { Kernel } from '../../../compiler/kernel/ir.js';
import { runKernel } from '../../../compiler/kernel/interpret.js';
import { storageBytes, type WasmPrintOptions } from '../../../targets/wasm/abi.js';
import { evalConstInt } from '../../../targets/wasm/const-eval.js';
import { gridNestOf } from '../../../targets/wasm/grid.js';
import { printWasmModule } from '../../../targets/wasm/module.js';

export type Buffers = Record<string, TensorData>;

/** The WebAssembly JS API, typed here: the project's lib settings (ES2022, node) leave it out. */
interface WasmModuleObject { readonly __brand?: 'module' }
export interface WebAssemblyApi {
  Memory: new (d: { initial: number; maximum: number; shared: boolean }) => { readonly buffer: ArrayBufferLike };
  Module: {
    new (bytes: Uint8Array): WasmModuleObject;
    imports(m: WasmModuleObject): { module: string; name: string; kind: string }[];
    exports(m: WasmModuleObject): { name: string; kind: string }[];
  };
  Instance: new (m: WasmModuleObject, imports: object) => { readonly exports: Record<string, unknown> };
}
export const WA = (globalThis as unknown as { WebAssembly: WebAssemblyApi }).WebAssembly;

/** A fresh random seed per run (printed in failure messages through the test names). */
export function freshSeed(): number {
  return Math.floor(Math.random() * 2 ** 31);
}

function writeStorage(view: DataView, at: number, dtype: DType, data: TensorData): void {
  const n = data.length;
  for (let i = 0; i < n; i++) {
    const v = data[i]!;
    const o = at + i * storageBytes(dtype);
    switch (dtype) {
      case 'f32': view.setFloat32(o, v as number, true); break;
      case 'f64': view.setFloat64(o, v as number, true); break;
      case 'f16': view.setUint16(o, toHalfBits(v as number), true); break;
      case 'bf16': view.setUint16(o, toBf16Bits(v as number), true); break;
      case 'i8': view.setInt8(o, v as number); break;
      case 'u8': case 'bool': view.setUint8(o, v as number); break;
      case 'i16': view.setInt16(o, v as number, true); break;
      case 'u16': view.setUint16(o, v as number, true); break;
      case 'i32': view.setInt32(o, v as number, true); break;
      case 'u32': view.setUint32(o, v as number, true); break;
      case 'i64': view.setBigInt64(o, v as bigint, true); break;
      case 'u64': view.setBigUint64(o, v as bigint, true); break;
      default: throw new Error(`harness: ${dtype}`);
    }
  }
}

function readStorage(view: DataView, at: number, dtype: DType, n: number): TensorData {
  const out = allocData(dtype, n);
  for (let i = 0; i < n; i++) {
    const o = at + i * storageBytes(dtype);
    let v: number | bigint;
    switch (dtype) {
      case 'f32': v = view.getFloat32(o, true); break;
      case 'f64': v = view.getFloat64(o, true); break;
      case 'f16': v = fromHalfBits(view.getUint16(o, true)); break;
      case 'bf16': v = fromBf16Bits(view.getUint16(o, true)); break;
      case 'i8': v = view.getInt8(o); break;
      case 'u8': case 'bool': v = view.getUint8(o); break;
      case 'i16': v = view.getInt16(o, true); break;
      case 'u16': v = view.getUint16(o, true); break;
      case 'i32': v = view.getInt32(o, true); break;
      case 'u32': v = view.getUint32(o, true); break;
      case 'i64': v = view.getBigInt64(o, true); break;
      case 'u64': v = view.getBigUint64(o, true); break;
      default: throw new Error(`harness: ${dtype}`);
    }
    (out as unknown as (number | bigint)[])[i] = v;
  }
  return out;
}

export interface LoadedKernels {
  readonly memory: { readonly buffer: ArrayBufferLike };
  readonly exports: Record<string, (...args: number[]) => void>;
  readonly scratchBytes: Record<string, number>;
  readonly text?: string;
  readonly binaryBytes: number;
}

export function loadKernels(kernels: readonly Kernel[], options: WasmPrintOptions = {}): LoadedKernels {
  const artifact = printWasmModule(kernels, options);
  const memory = new WA.Memory({ initial: 4, maximum: 65536, shared: true });
  const module = new WA.Module(artifact.binary);
  const instance = new WA.Instance(module, { env: { memory } });
  const scratchBytes: Record<string, number> = {};
  for (const e of artifact.exports) scratchBytes[e.name] = e.scratchBytes;
  return {
    memory,
    exports: instance.exports as unknown as Record<string, (...args: number[]) => void>,
    scratchBytes,
    ...(artifact.text !== undefined ? { text: artifact.text } : {}),
    binaryBytes: artifact.binary.length,
  };
}

/** Total work items of a kernel's grid for these uniforms. */
export function gridItems(kernel: Kernel, uniforms: Readonly<Record<string, number>>): number {
  const names = new Map(Object.entries(uniforms).map(([k, v]) => [k, { kind: 'const' as const, value: v }]));
  return gridNestOf(kernel.name, kernel.body).axes.reduce((n, axis) => {
    const extent = evalConstInt(axis.extent, names);
    if (extent === undefined) throw new Error(`harness: grid extent of ${kernel.name} is not computable`);
    return n * extent;
  }, 1);
}

/**
 * Runs `kernel` in wasm on copies of `buffers` (all of them written back, so outputs and
 * read_write buffers come out), over the item ranges given (default: all items in one call).
 */
export function runWasm(
  loaded: LoadedKernels, kernel: Kernel, buffers: Buffers, uniforms: Readonly<Record<string, number>>,
  ranges?: readonly (readonly [number, number])[],
): Buffers {
  const view = new DataView(loaded.memory.buffer);
  let at = 64; // keep address 0 unused so a missing offset shows
  const offsets = kernel.buffers.map((b) => {
    const data = buffers[b.name];
    if (!data) throw new Error(`harness: no data for buffer ${b.name}`);
    const offset = at;
    writeStorage(view, offset, b.dtype, data);
    at = Math.ceil((at + data.length * storageBytes(b.dtype) + 16) / 16) * 16;
    return offset;
  });
  const scratch = at;
  at += loaded.scratchBytes[kernel.name] ?? 0;
  if (at > view.byteLength) throw new Error('harness: memory too small');
  const fn = loaded.exports[kernel.name];
  if (!fn) throw new Error(`harness: no export ${kernel.name}`);
  const args = [...offsets, ...kernel.uniforms.map((u) => uniforms[u.name] ?? 0)];
  for (const [start, end] of ranges ?? [[0, gridItems(kernel, uniforms)]]) fn(...args, start, end, scratch);
  const out: Buffers = {};
  kernel.buffers.forEach((b, i) => { out[b.name] = readStorage(view, offsets[i]!, b.dtype, buffers[b.name]!.length); });
  return out;
}

/** Runs `kernel` in the Kernel IR interpreter on copies of `buffers`. */
export function runInterpreter(kernel: Kernel, buffers: Buffers, uniforms: Readonly<Record<string, number>>): Buffers {
  const copies: Buffers = {};
  for (const [k, v] of Object.entries(buffers)) copies[k] = v.slice() as TensorData;
  runKernel(kernel, copies, uniforms);
  return copies;
}

/**
 * Runs `kernel` in wasm (over `ranges`) and in the interpreter, and expects every buffer to
 * match: exactly (NaN = NaN) or within `rtol` relative / `atol` absolute for floats.
 */
export function expectWasmMatchesInterpreter(
  loaded: LoadedKernels, kernel: Kernel, buffers: Buffers, uniforms: Readonly<Record<string, number>>,
  opts: { ranges?: readonly (readonly [number, number])[]; rtol?: number; atol?: number; label?: string } = {},
): Buffers {
  const want = runInterpreter(kernel, buffers, uniforms);
  const got = runWasm(loaded, kernel, buffers, uniforms, opts.ranges);
  for (const b of kernel.buffers) {
    const g = got[b.name]!;
    const w = want[b.name]!;
    for (let i = 0; i < w.length; i++) {
      const gv = g[i]!;
      const wv = w[i]!;
      if (typeof wv === 'bigint' || typeof gv === 'bigint') {
        if (gv !== wv) throw new Error(`${opts.label ?? kernel.name}: ${b.name}[${i}] = ${gv}, interpreter ${wv}`);
        continue;
      }
      if (Number.isNaN(wv) && Number.isNaN(gv)) continue;
      const tolerance = (opts.atol ?? 0) + (opts.rtol ?? 0) * Math.abs(wv);
      if (!(gv === wv || Math.abs(gv - wv) <= tolerance)) {
        throw new Error(`${opts.label ?? kernel.name}: ${b.name}[${i}] = ${gv}, interpreter ${wv}`);
      }
    }
  }
  return got;
}

/** Splits [0, total) into `pieces` consecutive ranges at random points (some may be empty). */
export function randomRanges(total: number, pieces: number, next: () => number): [number, number][] {
  const cuts = Array.from({ length: pieces - 1 }, () => Math.floor(((next() + 1) / 2) * (total + 1))).sort((a, b) => a - b);
  const bounds = [0, ...cuts, total];
  return bounds.slice(1).map((end, i) => [bounds[i]!, end]);
}
