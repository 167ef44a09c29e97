// A browser `Worker` acted out in Node for tests of the runtime's browser host: it reads the
// blob: URL it is given, and runs the script in a worker_threads worker where `self` has the
// two members a Web Worker's script uses here (onmessage, postMessage).

import { resolveObjectURL } from 'node:buffer';
import { Worker } from 'node:worker_threads';

const SELF_SHIM = `const { parentPort } = require('node:worker_threads');
globalThis.self = {
  postMessage: (m) => parentPort.postMessage(m),
  set onmessage(h) { parentPort.on('message', (data) => h({ data })); },
};
`;

export class FakeWebWorker {
  onmessage: ((event: { data: unknown }) => void) | null = null;
  onerror: ((event: { message?: string }) => void) | null = null;
  private worker: Worker | undefined;
  private readonly queue: unknown[] = [];
  private terminated = false;

  constructor(url: string) {
    const blob = resolveObjectURL(url);
    if (!blob) throw new Error(`FakeWebWorker: ${url} is not a live blob: URL`);
    void blob.text().then((source) => {
      if (this.terminated) return;
      const worker = new Worker(SELF_SHIM + source, { eval: true });
      worker.unref();
      worker.on('message', (data) => this.onmessage?.({ data }));
      worker.on('error', (e) => this.onerror?.({ message: e.message }));
      for (const m of this.queue.splice(0)) worker.postMessage(m);
      this.worker = worker;
    });
  }

  postMessage(message: unknown): void {
    if (this.worker) this.worker.postMessage(message);
    else this.queue.push(message);
  }

  terminate(): void {
    this.terminated = true;
    void this.worker?.terminate();
  }
}
