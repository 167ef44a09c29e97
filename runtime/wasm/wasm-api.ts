// The few WebAssembly and browser APIs the runtime touches, typed here because the project
// compiles without the DOM library (and @types/node has no WebAssembly namespace). Reached
// through `globalThis` so nothing global is declared and nothing clashes with DOM types in a
// user's build.

export interface WasmMemory {
  readonly buffer: ArrayBuffer | SharedArrayBuffer;
  grow(deltaPages: number): number;
}

export type WasmModule = object;

export interface WasmInstance {
  readonly exports: Record<string, unknown>;
}

export interface WasmApi {
  Memory: new (descriptor: { initial: number; maximum?: number; shared?: boolean }) => WasmMemory;
  Module: new (bytes: Uint8Array) => WasmModule;
  Instance: new (module: WasmModule, imports: Record<string, Record<string, unknown>>) => WasmInstance;
  validate(bytes: Uint8Array): boolean;
  compile(bytes: Uint8Array): Promise<WasmModule>;
}

export function wasmApi(): WasmApi {
  const api = (globalThis as { WebAssembly?: WasmApi }).WebAssembly;
  if (!api) throw new Error('sluice runtime: this JavaScript engine has no WebAssembly');
  return api;
}

/** A `WebAssembly.Module` (as opposed to the module's bytes). */
export function isWasmModule(x: unknown): x is WasmModule {
  const api = (globalThis as { WebAssembly?: { Module: abstract new (...args: never[]) => unknown } }).WebAssembly;
  return api !== undefined && x instanceof api.Module;
}

/** A browser `Worker`, as much of it as the pool uses. */
export interface BrowserWorker {
  postMessage(message: unknown): void;
  terminate(): void;
  onmessage: ((event: { data: unknown }) => void) | null;
  onerror: ((event: { message?: string }) => void) | null;
}

export interface BrowserGlobals {
  Worker?: new (url: string) => BrowserWorker;
  Blob?: new (parts: string[], options: { type: string }) => object;
  URL?: { createObjectURL(blob: object): string; revokeObjectURL(url: string): void };
  navigator?: { hardwareConcurrency?: number };
  document?: unknown;
  crossOriginIsolated?: boolean;
  process?: { versions?: { node?: string } };
}

export function browserGlobals(): BrowserGlobals {
  return globalThis as BrowserGlobals;
}
