// The code each worker thread runs. It is sent to the worker as source text
// (`workerMain.toString()`), so it must be self-contained: no imports, no reference to
// anything outside the function, plain JavaScript after type erasure.
//
// A worker instantiates the module on the shared memory once, then sleeps on the control
// block. For each parallel dispatch the main thread writes the job into the control block and
// bumps `generation`; every worker wakes and joins the job (increments `active`, then checks
// that the job is not `closed`: both sequentially consistent, so either the main thread sees
// it active or it sees the job closed and leaves untouched), claims chunks of the item range
// from the shared `next` counter until none are left, and decrements `active`; the last one
// notifies.

/** Messages a worker receives (once) and sends. */
export interface WorkerInit {
  readonly type: 'init';
  readonly id: number;
  readonly module: unknown;
  readonly memory: unknown;
  readonly control: SharedArrayBuffer;
  /** Slot indices of the control block (ControlSlots in worker-pool.ts). */
  readonly slots: Readonly<Record<string, number>>;
  readonly kernels: readonly string[];
  /** Polls of `generation` before sleeping: a dispatch that follows soon finds the worker awake. */
  readonly spin: number;
}

export type WorkerReply =
  | { readonly type: 'ready'; readonly id: number }
  /** `generation`: the job that failed (−1: instantiation). */
  | { readonly type: 'error'; readonly id: number; readonly generation: number; readonly message: string };

export interface WorkerPort {
  onMessage(handler: (message: WorkerInit) => void): void;
  post(message: WorkerReply): void;
}

export function workerMain(port: WorkerPort): void {
  port.onMessage((init) => {
    if (init.type !== 'init') return;
    const S = init.slots as Record<string, number>;
    const ctl = new Int32Array(init.control);
    let kernels: ((...args: number[]) => void)[];
    try {
      const WA = (globalThis as unknown as { WebAssembly: { Instance: new (m: unknown, i: unknown) => { exports: Record<string, unknown> } } }).WebAssembly;
      const instance = new WA.Instance(init.module, { env: { memory: init.memory } });
      kernels = init.kernels.map((name) => instance.exports[name] as (...args: number[]) => void);
    } catch (e) {
      port.post({ type: 'error', id: init.id, generation: -1, message: `cannot instantiate the module: ${String(e)}` });
      return;
    }
    // Read before saying ready: the first job may be posted the moment the pool hears it.
    let seen = Atomics.load(ctl, S.generation!);
    port.post({ type: 'ready', id: init.id });

    for (;;) {
      for (let i = 0; i < init.spin && Atomics.load(ctl, S.generation!) === seen; i++);
      while (Atomics.load(ctl, S.generation!) === seen) Atomics.wait(ctl, S.generation!, seen);
      seen = Atomics.load(ctl, S.generation!);
      if (Atomics.load(ctl, S.stop!) !== 0) return;
      Atomics.add(ctl, S.active!, 1);
      if (Atomics.load(ctl, S.closed!) !== 0) {
        // Woke after the calling thread finished the job alone: nothing to do.
        if (Atomics.sub(ctl, S.active!, 1) === 1) Atomics.notify(ctl, S.active!);
        continue;
      }
      // Joined the job that is open now (perhaps a later one than the wake-up was for).
      seen = Atomics.load(ctl, S.generation!);

      const kernel = ctl[S.kernel!]!;
      const items = ctl[S.items!]!;
      const chunks = ctl[S.chunks!]!;
      const args: number[] = [];
      for (let i = 0, n = ctl[S.argCount!]!; i < n; i++) args.push(ctl[S.args! + i]!);
      const scratch = ctl[S.scratchBase!]! + init.id * ctl[S.scratchStride!]!;
      args.push(0, 0, scratch);
      const at = args.length - 3;
      const run = kernels[kernel]!;
      try {
        for (let c = Atomics.add(ctl, S.next!, 1); c < chunks; c = Atomics.add(ctl, S.next!, 1)) {
          args[at] = Math.floor((c * items) / chunks);
          args[at + 1] = Math.floor(((c + 1) * items) / chunks);
          run(...args);
        }
      } catch (e) {
        Atomics.store(ctl, S.failed!, 1);
        port.post({ type: 'error', id: init.id, generation: seen, message: String(e) });
      }
      if (Atomics.sub(ctl, S.active!, 1) === 1) Atomics.notify(ctl, S.active!);
    }
  });
}
