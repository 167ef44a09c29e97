// Worker threads that run kernel work items beside the main thread, all on one shared memory.
// Synchronisation is a small control block (an Int32Array on its own SharedArrayBuffer) with
// Atomics.wait/notify: one notify per parallel dispatch, no postMessage (see worker-main.ts
// for the worker's side of the protocol).
//
// A job is open until the calling thread has run out of chunks; then it closes it and waits
// only for the workers that joined it (`active`). A worker that wakes after the close finds
// nothing to join and sleeps again, so a late wake-up (a loaded machine, a descheduled
// worker) never holds up a dispatch: the calling thread runs the chunks itself.

import type { Host, ThreadHandle } from './environment.js';
import { workerSource } from './environment.js';
import type { WasmMemory, WasmModule } from './wasm-api.js';
import { workerMain, type WorkerReply } from './worker-main.js';

/** Slots of the control block. `args` is where the kernel's arguments start. */
export const CONTROL_SLOTS = {
  generation: 0, next: 1, active: 2, kernel: 3, items: 4, chunks: 5, argCount: 6,
  stop: 7, failed: 8, scratchBase: 9, scratchStride: 10, closed: 11, args: 16,
} as const;

/** Chunks per thread: enough for dynamic claiming to even out uneven items. */
const CHUNKS_PER_THREAD = 4;
/** Polls before a worker sleeps; a few microseconds, so back-to-back dispatches skip a wake-up. */
const WORKER_SPIN = 20_000;

export type KernelFunction = (...args: number[]) => void;

/** One kernel call to spread over the pool. */
export interface ParallelJob {
  readonly kernelIndex: number;
  readonly kernelName: string;
  /** Buffer offsets and uniforms (the trailing itemStart, itemEnd, scratch are added here). */
  readonly args: Int32Array;
  readonly items: number;
  readonly scratchBase: number;
  readonly scratchStride: number;
}

export class ThreadPool {
  private readonly ctl: Int32Array;
  /** Failure messages from workers, with the generation (job) they belong to. */
  private readonly errors: { generation: number; message: string }[] = [];

  private constructor(
    private readonly host: Host,
    private readonly workers: readonly ThreadHandle[],
    control: SharedArrayBuffer,
  ) {
    this.ctl = new Int32Array(control);
    for (const w of workers) {
      w.onReply((r) => { if (r.type === 'error') this.errors.push({ generation: r.generation, message: `worker ${r.id}: ${r.message}` }); });
    }
  }

  /** Threads that run items: the workers and the calling thread. */
  get threads(): number {
    return this.workers.length + 1;
  }

  /**
   * Starts `count` workers on `module` and `memory`. When any fails to start, none is kept and
   * the failure is returned, so the caller can say it once; zero workers is a valid pool.
   */
  static async start(host: Host, module: WasmModule, memory: WasmMemory, kernels: readonly string[], count: number, maxArgs: number): Promise<{ pool: ThreadPool; failure?: string }> {
    const control = new SharedArrayBuffer(4 * (CONTROL_SLOTS.args + maxArgs));
    const source = workerSource(host, workerMain);
    const started = await Promise.allSettled(Array.from({ length: count }, async (_, i) => {
      const worker = await host.startWorker(source);
      await new Promise<void>((resolve, reject) => {
        worker.onReply((r) => (r.type === 'ready' ? resolve() : reject(new Error(r.message))));
        worker.onFailure((message) => reject(new Error(message)));
        worker.post({ type: 'init', id: i + 1, module, memory, control, slots: CONTROL_SLOTS, kernels, spin: WORKER_SPIN });
      }).catch((e: unknown) => {
        worker.terminate();
        throw e;
      });
      return worker;
    }));
    const workers = started.flatMap((s) => (s.status === 'fulfilled' ? [s.value] : []));
    const failed = started.find((s): s is PromiseRejectedResult => s.status === 'rejected');
    if (failed) {
      // What stops one worker (no Worker, a CSP that forbids blob: scripts) stops them all.
      for (const w of workers) w.terminate();
      const reason = failed.reason instanceof Error ? failed.reason.message : String(failed.reason);
      return { pool: new ThreadPool(host, [], control), failure: reason };
    }
    return { pool: new ThreadPool(host, workers, control) };
  }

  /**
   * Runs `job` on every thread, the caller included, and returns when all items are done.
   * Returns false when a worker failed (its message is in `takeErrors()`); a failure on the
   * calling thread throws as usual.
   */
  runParallel(job: ParallelJob, run: KernelFunction): boolean {
    const S = CONTROL_SLOTS;
    const ctl = this.ctl;
    const chunks = Math.min(job.items, this.threads * CHUNKS_PER_THREAD);
    this.errors.length = 0; // anything left belongs to earlier jobs
    ctl[S.kernel] = job.kernelIndex;
    ctl[S.items] = job.items;
    ctl[S.chunks] = chunks;
    ctl[S.argCount] = job.args.length;
    ctl.set(job.args, S.args);
    ctl[S.scratchBase] = job.scratchBase;
    ctl[S.scratchStride] = job.scratchStride;
    Atomics.store(ctl, S.next, 0);
    Atomics.store(ctl, S.failed, 0);
    Atomics.store(ctl, S.closed, 0);
    Atomics.add(ctl, S.generation, 1);
    Atomics.notify(ctl, S.generation);

    const args = [...job.args, 0, 0, job.scratchBase];
    const at = job.args.length;
    try {
      for (let c = Atomics.add(ctl, S.next, 1); c < chunks; c = Atomics.add(ctl, S.next, 1)) {
        args[at] = Math.floor((c * job.items) / chunks);
        args[at + 1] = Math.floor(((c + 1) * job.items) / chunks);
        run(...args);
      }
    } finally {
      // Close the job (no worker joins it from now on), then wait for those that did, even
      // when this thread failed: workers must be idle before the next job is written.
      Atomics.store(ctl, S.closed, 1);
      this.waitForWorkers();
    }
    if (Atomics.load(ctl, S.failed) !== 0) {
      Atomics.store(ctl, S.failed, 0);
      return false;
    }
    return true;
  }

  private waitForWorkers(): void {
    const ctl = this.ctl;
    const slot = CONTROL_SLOTS.active;
    for (let p = Atomics.load(ctl, slot); p !== 0; p = Atomics.load(ctl, slot)) {
      if (this.host.canBlock) Atomics.wait(ctl, slot, p);
    }
  }

  /** Messages of the workers' failures in the last job (they arrive as events, after it). */
  async takeErrors(): Promise<string[]> {
    const generation = Atomics.load(this.ctl, CONTROL_SLOTS.generation);
    const mine = () => this.errors.filter((e) => e.generation === generation);
    for (let i = 0; i < 50 && mine().length === 0; i++) await new Promise((r) => setTimeout(r, 2));
    const messages = mine().map((e) => e.message);
    this.errors.length = 0;
    return messages;
  }

  dispose(): void {
    Atomics.store(this.ctl, CONTROL_SLOTS.stop, 1);
    Atomics.add(this.ctl, CONTROL_SLOTS.generation, 1);
    Atomics.notify(this.ctl, CONTROL_SLOTS.generation);
    for (const w of this.workers) w.terminate();
  }
}
