// The WebAssembly runtime: loads a compiled package (manifest, module, weights) and runs it in
// Node (worker_threads) or a browser (Web Workers). It validates inputs against the manifest,
// binds the symbols, lays out memory, runs the dispatches in order over a thread pool and
// reads the outputs back. It ships inside generated packages: it imports nothing from the
// compiler.
//
//   const model = await loadModel({ manifest, wasm, weights, threads: 4 });
//   const { y } = await model.run({ x: { data: new Float32Array(2 * 768), shape: [2, 768] } });
//   model.dispose();

import { evalShapeJson } from '../dim-eval.js';
import { checkManifest, dtypeBytes, type Manifest, type ManifestDType } from '../manifest.js';
import { statusError } from '../data-error.js';
import { bindInputs, InputError, type InputValue } from './bind-inputs.js';
import { detectHost, type Host } from './environment.js';
import { computeLayout, type DispatchPlan, type MemoryLayout } from './layout.js';
import { createMemory, ensureBytes, unshareMemoryImport } from './memory.js';
import { MEMORY_IMPORT } from './module-abi.js';
import { readTensor, writeTensor, type TensorData } from './tensor-data.js';
import { ThreadPool, type KernelFunction } from './thread-pool.js';
import { isWasmModule, wasmApi, type WasmMemory, type WasmModule } from './wasm-api.js';

export { InputError, type InputValue } from './bind-inputs.js';
export type { TensorData } from './tensor-data.js';
export { ManifestError, type Manifest } from '../manifest.js';
export { DataError } from '../data-error.js';

export type Bytes = Uint8Array | ArrayBuffer;

export interface LoadOptions {
  /** manifest.json, parsed (or its text); checked before anything else is read. */
  readonly manifest: unknown;
  /** The module's bytes, or a compiled WebAssembly.Module. */
  readonly wasm: Bytes | WasmModule;
  /** The module printed with relaxed SIMD; used instead of `wasm` where the engine validates it. */
  readonly relaxedWasm?: Bytes;
  /** weights.bin. */
  readonly weights: Bytes;
  /** Threads that run kernels, the calling one included (default: the cores, at most 8). 1: no workers. */
  readonly threads?: number;
  /**
   * Dispatches touching fewer bytes (all their buffers) run on the calling thread alone, since
   * waking the workers costs tens of microseconds. Default PARALLEL_MIN_BYTES.
   */
  readonly parallelMinBytes?: number;
}

export interface OutputTensor {
  /** f16 and bf16 outputs come as Float32Array (exact); other dtypes in their own array type. */
  readonly data: TensorData;
  readonly shape: number[];
  readonly dtype: ManifestDType;
}

export interface RunOptions {
  /** Values for symbols that no input shape fixes (and to override defaults). */
  readonly dims?: Readonly<Record<string, number>>;
}

export interface Model {
  readonly manifest: Manifest;
  /** Threads that run kernels, the calling one included. */
  readonly threads: number;
  /** Whether the memory is shared (false in a browser page that is not cross-origin isolated). */
  readonly sharedMemory: boolean;
  /** Whether the relaxed-SIMD module runs (given, and validated by this engine). */
  readonly relaxedSimd: boolean;
  /** Bytes of linear memory now (it grows when dims grow). */
  readonly memoryBytes: number;
  /** Runs the model once. Inputs are checked against the manifest; state persists between runs. */
  run(inputs: Readonly<Record<string, InputValue>>, options?: RunOptions): Promise<Record<string, OutputTensor>>;
  /** Zeroes every state buffer (KV caches), as after loading. */
  resetState(): void;
  /** Stops the worker threads; the model cannot run afterwards. */
  dispose(): void;
}

/** Most threads used by default: beyond this, memory bandwidth, not cores, limits these kernels. */
export const DEFAULT_MAX_THREADS = 8;
/**
 * Dispatches touching fewer bytes run on the calling thread alone. A parallel dispatch costs
 * about 20–30 µs more than a serial one (measured on a busy 2-core machine: a 64 KiB
 * elementwise kernel took 8 µs alone, 30 µs on two threads), which an elementwise kernel
 * repays only past a few hundred KiB; compute-heavy kernels (matmul) repay it sooner.
 */
export const PARALLEL_MIN_BYTES = 128 * 1024;

/**
 * Marks, on globalThis, that the one-thread warning was given: every package on a page ships
 * its own copy of this runtime, and the page should still hear it once.
 */
const WARNED_SINGLE_THREADED = Symbol.for('sluice.wasm.warnedSingleThreaded');

function warnSingleThreadedOnce(): void {
  const g = globalThis as { [WARNED_SINGLE_THREADED]?: boolean };
  if (g[WARNED_SINGLE_THREADED]) return;
  g[WARNED_SINGLE_THREADED] = true;
  console.warn('sluice: SharedArrayBuffer is not available (the page is not cross-origin isolated), so models run on one thread. Serve the page with Cross-Origin-Opener-Policy: same-origin and Cross-Origin-Embedder-Policy: require-corp to use threads.');
}

export async function loadModel(options: LoadOptions): Promise<Model> {
  return createModel(options, await detectHost());
}

function toBytes(b: Bytes): Uint8Array {
  return b instanceof Uint8Array ? b : new Uint8Array(b);
}

/** loadModel on a given host (tests use it to act out a browser page without isolation). */
export async function createModel(options: LoadOptions, host: Host): Promise<Model> {
  const manifest = checkManifest(typeof options.manifest === 'string' ? JSON.parse(options.manifest) : options.manifest);
  if (manifest.target !== 'wasm') throw new Error(`sluice runtime: this package was compiled for the ${manifest.target} target; the WebAssembly runtime runs only packages compiled with --target wasm`);
  const requested = options.threads ?? Math.min(DEFAULT_MAX_THREADS, Math.max(1, host.cores));
  if (!Number.isSafeInteger(requested) || requested < 1) throw new RangeError(`threads must be a positive integer, got ${options.threads}`);

  const shared = host.canShareMemory;
  if (!shared) warnSingleThreadedOnce();
  const { module, relaxed } = await compileModule(options, shared);

  const weights = toBytes(options.weights);
  if (weights.byteLength < manifest.regions.weights) {
    throw new InputError(`weights: the model needs ${manifest.regions.weights} bytes (${manifest.files.weights}), got ${weights.byteLength}`);
  }
  const memory = createMemory(manifest.regions.weights, shared);
  new Uint8Array(memory.buffer).set(weights.subarray(0, manifest.regions.weights), 0);

  const instance = new (wasmApi().Instance)(module, { [MEMORY_IMPORT.module]: { [MEMORY_IMPORT.name]: memory } });
  const kernels = manifest.kernels.map((k) => {
    const f = instance.exports[k.name];
    if (typeof f !== 'function') throw new Error(`sluice runtime: the module has no export for kernel '${k.name}'; the module and manifest.json do not belong together`);
    return f as KernelFunction;
  });

  const maxArgs = Math.max(0, ...manifest.kernels.map((k) => k.buffers.length + k.uniforms.length));
  let pool: ThreadPool | undefined;
  if (shared && requested > 1) {
    const started = await ThreadPool.start(host, module, memory, manifest.kernels.map((k) => k.name), requested - 1, maxArgs);
    pool = started.pool;
    if (started.failure) console.warn(`sluice: worker threads could not start (${started.failure}); running on one thread.`);
  }
  return new WasmModel(manifest, memory, kernels, pool, shared, relaxed, options.parallelMinBytes ?? PARALLEL_MIN_BYTES);
}

async function compileModule(options: LoadOptions, shared: boolean): Promise<{ module: WasmModule; relaxed: boolean }> {
  const api = wasmApi();
  if (isWasmModule(options.wasm)) {
    if (!shared) throw new Error('sluice runtime: without shared memory the runtime must adapt the module: pass its bytes, not a WebAssembly.Module');
    return { module: options.wasm, relaxed: false };
  }
  let bytes = toBytes(options.wasm as Bytes);
  let relaxed = false;
  if (options.relaxedWasm) {
    const candidate = toBytes(options.relaxedWasm);
    if (api.validate(candidate)) [bytes, relaxed] = [candidate, true];
  }
  if (!shared) bytes = unshareMemoryImport(bytes);
  return { module: await api.compile(bytes), relaxed };
}

class WasmModel implements Model {
  private layout: MemoryLayout | undefined;
  /** Where the state buffers were last laid out (they are kept only while it holds). */
  private stateSignature: string | undefined;
  private disposed = false;

  constructor(
    readonly manifest: Manifest,
    private readonly memory: WasmMemory,
    private readonly kernels: readonly KernelFunction[],
    private readonly pool: ThreadPool | undefined,
    readonly sharedMemory: boolean,
    readonly relaxedSimd: boolean,
    private readonly parallelMinBytes: number,
  ) {}

  get threads(): number {
    return this.pool?.threads ?? 1;
  }

  get memoryBytes(): number {
    return this.memory.buffer.byteLength;
  }

  async run(inputs: Readonly<Record<string, InputValue>>, options: RunOptions = {}): Promise<Record<string, OutputTensor>> {
    if (this.disposed) throw new Error('sluice runtime: the model was disposed');
    const call = bindInputs(this.manifest, inputs, options.dims);
    const layout = this.layoutFor(call.dims);
    ensureBytes(this.memory, layout.totalBytes);
    if (layout.stateSignature !== this.stateSignature) {
      // A first run, or dims that move the state: it starts from zero, as after loading.
      this.stateSignature = layout.stateSignature;
      this.zeroState(layout);
    }

    let bytes = new Uint8Array(this.memory.buffer);
    const status = this.statusWords(layout);
    if (status) bytes.fill(0, status.offset, status.offset + status.bytes);
    for (const input of call.inputs) writeTensor(bytes, layout.offsets.get(input.tensor.value)!, input.tensor.dtype, input.data);
    for (const plan of layout.dispatches) {
      if (!this.dispatch(plan, layout)) {
        const errors = await this.pool!.takeErrors();
        throw new Error(`sluice runtime: kernel '${plan.kernel}' failed on a worker thread: ${errors.join('; ') || 'no message'}`);
      }
    }

    if (status) {
      const error = statusError(this.manifest, new Int32Array(this.memory.buffer.slice(status.offset, status.offset + status.bytes)), call.dims);
      if (error) throw error;
    }
    bytes = new Uint8Array(this.memory.buffer);
    const outputs: Record<string, OutputTensor> = {};
    for (const o of this.manifest.outputs) {
      const shape = evalShapeJson(o.shape, call.dims);
      const count = shape.reduce((n, d) => n * d, 1);
      outputs[o.name] = { data: readTensor(bytes, layout.offsets.get(o.value)!, o.dtype, count, dtypeBytes(o.dtype)), shape, dtype: o.dtype };
    }
    return outputs;
  }

  /** Where the status words lie (kernels flag bad data there), if the model checks any. */
  private statusWords(layout: MemoryLayout): { offset: number; bytes: number } | undefined {
    const id = this.manifest.errors?.status;
    return id === undefined ? undefined : { offset: layout.offsets.get(id)!, bytes: layout.sizes.get(id)! };
  }

  private layoutFor(dims: ReadonlyMap<string, number>): MemoryLayout {
    const key = this.manifest.dims.map((d) => dims.get(d.name)).join(',');
    if (this.layout?.key !== key) this.layout = computeLayout(this.manifest, dims, this.threads);
    return this.layout;
  }

  /**
   * Runs one dispatch; returns false when a worker failed (its message comes later, as an
   * event). Synchronous, so a run never yields midway and two runs cannot interleave.
   */
  private dispatch(plan: DispatchPlan, layout: MemoryLayout): boolean {
    if (plan.items === 0) return true;
    const run = this.kernels[plan.kernelIndex]!;
    const pool = this.pool;
    try {
      if (pool && pool.threads > 1 && plan.items > 1 && plan.bytes >= this.parallelMinBytes) {
        const job = { kernelIndex: plan.kernelIndex, kernelName: plan.kernel, args: plan.args, items: plan.items, scratchBase: layout.scratchBase, scratchStride: layout.scratchStride };
        return pool.runParallel(job, run);
      }
      run(...plan.args, 0, plan.items, layout.scratchBase);
      return true;
    } catch (e) {
      // A trap (out-of-bounds access, unreachable) is a bug in the module or the manifest.
      throw new Error(`sluice runtime: kernel '${plan.kernel}' failed: ${(e as Error).message}`, { cause: e });
    }
  }

  private zeroState(layout: MemoryLayout): void {
    new Uint8Array(this.memory.buffer).fill(0, layout.stateBase, layout.stateBase + layout.stateBytes);
  }

  resetState(): void {
    if (this.layout) this.zeroState(this.layout);
  }

  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    this.pool?.dispose();
  }
}
