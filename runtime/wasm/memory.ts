// The module's linear memory: created shared (so workers can run on it) or, where the page is
// not cross-origin isolated, plain; grown as dims grow. Also the one edit the runtime makes to
// a module: a plain memory needs the module's memory import to say "not shared".

import { MEMORY_MAXIMUM_PAGES, WASM_PAGE_BYTES } from './module-abi.js';
import { wasmApi, type WasmMemory } from './wasm-api.js';

export function pagesFor(bytes: number): number {
  return Math.max(1, Math.ceil(bytes / WASM_PAGE_BYTES));
}

/**
 * A memory of at least `bytes`. A shared memory reserves its maximum up front; where the
 * engine cannot reserve 4 GiB of address space (32-bit devices) it tries smaller maxima.
 */
export function createMemory(bytes: number, shared: boolean): WasmMemory {
  const initial = pagesFor(bytes);
  let maximum = MEMORY_MAXIMUM_PAGES;
  for (;;) {
    try {
      return new (wasmApi().Memory)({ initial, maximum, shared });
    } catch (e) {
      if (!(e instanceof RangeError) || maximum <= initial) throw e;
      maximum = Math.max(initial, maximum >> 1);
    }
  }
}

/** Grows `memory` to hold `bytes`; a no-op when it already does. */
export function ensureBytes(memory: WasmMemory, bytes: number): void {
  const have = memory.buffer.byteLength / WASM_PAGE_BYTES;
  const need = pagesFor(bytes);
  if (need <= have) return;
  try {
    memory.grow(need - have);
  } catch (e) {
    throw new RangeError(`sluice runtime: cannot grow the WebAssembly memory to ${bytes} bytes (${(e as Error).message})`);
  }
}

// ---- the memory import's `shared` flag ----

function readLeb(bytes: Uint8Array, pos: number): [value: number, next: number] {
  let value = 0;
  let shift = 0;
  for (;;) {
    const b = bytes[pos++];
    if (b === undefined) throw new Error('sluice runtime: truncated WebAssembly module');
    value += (b & 0x7f) * 2 ** shift;
    if (!(b & 0x80)) return [value, pos];
    shift += 7;
  }
}

function skipName(bytes: Uint8Array, pos: number): number {
  const [length, next] = readLeb(bytes, pos);
  return next + length;
}

/** Skips a limits field (flags, min, max when flagged). */
function skipLimits(bytes: Uint8Array, pos: number): number {
  const flags = bytes[pos++]!;
  pos = readLeb(bytes, pos)[1];
  if (flags & 1) pos = readLeb(bytes, pos)[1];
  return pos;
}

/**
 * A copy of the module whose imported memory is not shared: walks the import section to the
 * memory import and clears the shared bit of its limits flags (0x03 → 0x01). Sizes do not
 * change, so nothing else in the binary moves. Bytes without a shared memory import come back
 * unchanged.
 */
export function unshareMemoryImport(module: Uint8Array): Uint8Array {
  const bytes = module.slice();
  let pos = 8; // magic and version
  while (pos < bytes.length) {
    const id = bytes[pos]!;
    const [size, start] = readLeb(bytes, pos + 1);
    if (id === 2) {
      let p = start;
      let count;
      [count, p] = readLeb(bytes, p);
      for (let i = 0; i < count; i++) {
        p = skipName(bytes, p);
        p = skipName(bytes, p);
        const kind = bytes[p++];
        switch (kind) {
          case 0x00: p = readLeb(bytes, p)[1]; break; // function: type index
          case 0x01: p = skipLimits(bytes, p + 1); break; // table: reftype, limits
          case 0x02: // memory: limits
            if (bytes[p]! & 0x02) bytes[p] = bytes[p]! & ~0x02;
            p = skipLimits(bytes, p);
            break;
          case 0x03: p += 2; break; // global: valtype, mutability
          case 0x04: p = readLeb(bytes, p + 1)[1]; break; // tag: attribute, type index
          default: throw new Error(`sluice runtime: unknown import kind ${kind} in the WebAssembly module`);
        }
      }
      return bytes;
    }
    pos = start + size;
  }
  return bytes;
}
