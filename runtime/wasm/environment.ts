// What the JavaScript host offers: Node (worker_threads) or a browser (Web Workers), whether
// memory can be shared between threads, how many cores there are, and whether this thread
// may block in Atomics.wait (a browser's main thread may not).

import { browserGlobals, type BrowserWorker } from './wasm-api.js';
import type { WorkerInit, WorkerPort, WorkerReply } from './worker-main.js';

/** A started worker thread, whichever kind. */
export interface ThreadHandle {
  post(message: WorkerInit): void;
  onReply(handler: (reply: WorkerReply) => void): void;
  onFailure(handler: (message: string) => void): void;
  terminate(): void;
}

export interface Host {
  readonly kind: 'node' | 'browser';
  /** SharedArrayBuffer and shared WebAssembly memories are available. */
  readonly canShareMemory: boolean;
  /** Atomics.wait is allowed on this thread. */
  readonly canBlock: boolean;
  readonly cores: number;
  /** Starts a worker running `source` (a script that calls workerMain with a port). */
  startWorker(body: string): Promise<ThreadHandle>;
  /** The script prefix that gives workerMain its port in this host's workers. */
  readonly portSource: string;
}

const NODE_PORT = `(() => { const { parentPort } = require('node:worker_threads');
  return { onMessage: (h) => parentPort.on('message', h), post: (m) => parentPort.postMessage(m) }; })()`;
const BROWSER_PORT = `({ onMessage: (h) => { self.onmessage = (e) => h(e.data); }, post: (m) => self.postMessage(m) })`;

/** Worker source: `workerMain` applied to the host's port. */
export function workerSource(host: Host, workerMain: (port: WorkerPort) => void): string {
  return `(${workerMain.toString()})(${host.portSource});\n`;
}

function isNode(): boolean {
  return typeof browserGlobals().process?.versions?.node === 'string';
}

// Hidden from bundlers so a browser build does not try to resolve Node's modules.
const nodeImport = (specifier: string): Promise<unknown> => import(/* @vite-ignore */ specifier);

async function nodeHost(): Promise<Host> {
  const os = (await nodeImport('node:os')) as { availableParallelism?: () => number; cpus: () => unknown[] };
  const threads = (await nodeImport('node:worker_threads')) as {
    Worker: new (source: string, options: { eval: true }) => {
      postMessage(m: unknown): void; on(event: string, f: (x: never) => void): void; unref(): void; terminate(): Promise<number>;
    };
    isMainThread: boolean;
  };
  return {
    kind: 'node',
    canShareMemory: typeof SharedArrayBuffer === 'function',
    canBlock: true,
    cores: os.availableParallelism?.() ?? os.cpus().length,
    portSource: NODE_PORT,
    async startWorker(source) {
      const worker = new threads.Worker(source, { eval: true });
      // A model the user forgets to dispose must not keep the process alive.
      worker.unref();
      return {
        post: (m) => worker.postMessage(m),
        onReply: (h) => worker.on('message', h as (x: never) => void),
        onFailure: (h) => worker.on('error', ((e: Error) => h(e.message)) as (x: never) => void),
        terminate: () => void worker.terminate(),
      };
    },
  };
}

const BLOB_WORKER_BLOCKED = "the worker's blob: script did not load; a Content-Security-Policy whose worker-src (or script-src) lacks blob: blocks it";

/** The browser's host (exported for tests, which act one out in Node). */
export function browserHost(): Host {
  const g = browserGlobals();
  return {
    kind: 'browser',
    canShareMemory: typeof SharedArrayBuffer === 'function' && g.crossOriginIsolated !== false,
    canBlock: g.document === undefined, // inside a worker; the page's main thread may not wait
    cores: g.navigator?.hardwareConcurrency ?? 1,
    portSource: BROWSER_PORT,
    async startWorker(source) {
      if (!g.Worker || !g.Blob || !g.URL) throw new Error('Web Workers are not available');
      const urls = g.URL;
      const url = urls.createObjectURL(new g.Blob([source], { type: 'text/javascript' }));
      const worker: BrowserWorker = new g.Worker(url);
      // Revoked once the worker answers: by then it has surely fetched its script.
      const revoke = (): void => urls.revokeObjectURL(url);
      return {
        post: (m) => worker.postMessage(m),
        onReply: (h) => { worker.onmessage = (e) => { revoke(); h(e.data as WorkerReply); }; },
        // Chromium's error event for a script it refused has no message; CSP is the usual cause.
        onFailure: (h) => { worker.onerror = (e) => { revoke(); h(e.message || BLOB_WORKER_BLOCKED); }; },
        terminate: () => worker.terminate(),
      };
    },
  };
}

export async function detectHost(): Promise<Host> {
  return isNode() ? nodeHost() : browserHost();
}
