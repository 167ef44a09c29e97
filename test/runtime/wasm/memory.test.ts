// The runtime's memory helpers: growth, and clearing the shared flag of the memory import.

import { describe, expect, it } from 'vitest';
import { createMemory, ensureBytes, pagesFor, unshareMemoryImport } from '../../../runtime/wasm/memory.js';
import { wasmApi } from '../../../runtime/wasm/wasm-api.js';
import { handModule, SCALE } from './hand-module.js';

const WA = wasmApi();

describe('memory', () => {
  it('grows to hold the bytes asked for, and never shrinks', () => {
    const m = createMemory(10, true);
    expect(m.buffer.byteLength).toBe(65536);
    ensureBytes(m, 65537);
    expect(m.buffer.byteLength).toBe(2 * 65536);
    ensureBytes(m, 100);
    expect(m.buffer.byteLength).toBe(2 * 65536);
    expect(pagesFor(0)).toBe(1);
    expect(pagesFor(3 * 65536 + 1)).toBe(4);
  });

  it('makes a module with a shared memory import accept a plain memory', () => {
    const shared = handModule([SCALE]);
    const plainMemory = new WA.Memory({ initial: 1, maximum: 65536 });
    const sharedModule = new WA.Module(shared);
    expect(() => new WA.Instance(sharedModule, { env: { memory: plainMemory } })).toThrow();
    const patched = unshareMemoryImport(shared);
    expect(patched.length).toBe(shared.length);
    expect(shared).not.toEqual(patched); // the input is left alone
    const instance = new WA.Instance(new WA.Module(patched), { env: { memory: plainMemory } });
    const f32 = new Float32Array(plainMemory.buffer);
    f32.set([1, 2, 3], 0);
    (instance.exports.scale as (...a: number[]) => void)(0, 64, 3, 0, 3, 0);
    expect(Array.from(f32.subarray(16, 19))).toEqual([3, 5, 7]);
  });

  it('leaves a module without a shared memory import unchanged', () => {
    const plain = handModule([SCALE], false);
    expect(unshareMemoryImport(plain)).toEqual(plain);
  });
});
