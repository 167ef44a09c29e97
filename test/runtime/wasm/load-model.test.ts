// The runtime end to end on hand-written modules: outputs against plain JS, threads, state,
// memory growth, worker failures, and a browser page without cross-origin isolation.

import { afterEach, describe, expect, it, vi } from 'vitest';
import { tensor } from '../../../compiler/interpret/tensor.js';
import { createModel, loadModel, type Model } from '../../../runtime/wasm/index.js';
import { browserHost, detectHost, type Host } from '../../../runtime/wasm/environment.js';
import { FakeWebWorker } from './fake-web-worker.js';
import { seededRandom } from '../../helpers/random.js';
import { ACCUMULATE, ADD_BIAS, SCALE, THROUGH_SCRATCH, TRAP } from './hand-module.js';
import { accumulateProgram, biasProgram, handPackage, pairProgram, scratchProgram, trapProgram } from './hand-package.js';

function randomFloats(n: number, seed: number): Float32Array {
  const next = seededRandom(seed);
  return Float32Array.from({ length: n }, () => next());
}

const models: Model[] = [];
afterEach(() => {
  for (const m of models.splice(0)) m.dispose();
});

async function load(pkg: ReturnType<typeof handPackage>, threads: number, host?: Host): Promise<Model> {
  const model = host ? await createModel({ ...pkg, threads }, host) : await loadModel({ ...pkg, threads });
  models.push(model);
  return model;
}

const D = 4;
const bias = randomFloats(D, 99);
const biasPackage = () => handPackage(biasProgram(D), [SCALE, ADD_BIAS], new Map([['b', tensor('f32', [D], bias)]]));

/** y[s, d] = x[s, d]·2 + 1 + b[d], in f32 as the module computes it. */
function expectedBias(x: Float32Array): Float32Array {
  return x.map((v, i) => Math.fround(Math.fround(Math.fround(v * 2) + 1) + bias[i % D]!));
}

describe('loadModel', () => {
  it.each([1, 7, 129])('computes y = x·2 + 1 + b with S = %i', async (S) => {
    const model = await load(biasPackage(), 1);
    const x = randomFloats(S * D, S);
    const { y } = await model.run({ x: { data: x, shape: [S, D] } });
    expect(y!.shape).toEqual([S, D]);
    expect(y!.dtype).toBe('f32');
    expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(expectedBias(x)));
  });

  it('gives identical results on 1 and 3 threads, large dispatches included', async () => {
    const one = await load(biasPackage(), 1);
    const three = await load(biasPackage(), 3);
    expect(one.threads).toBe(1);
    expect(three.threads).toBe(3);
    for (const S of [1, 7, 129, 50_000]) {
      const x = randomFloats(S * D, 1000 + S);
      const a = await one.run({ x: { data: x, shape: [S, D] } });
      const b = await three.run({ x: { data: x, shape: [S, D] } });
      expect(b.y!.data).toEqual(a.y!.data);
      expect(Array.from(b.y!.data as Float32Array)).toEqual(Array.from(expectedBias(x)));
    }
  });

  it('spreads items over the workers, each with its own scratch area', async () => {
    const N = 16_384; // 192 KiB touched: enough to be spread
    const pkg = handPackage(scratchProgram(2000), [THROUGH_SCRATCH], new Map(), new Map([['through_scratch', 16]]));
    const model = await load(pkg, 3);
    const x = randomFloats(N, 5);
    const seen = new Set<number>();
    // Workers wake within microseconds; the main thread alone needs milliseconds for all items.
    for (let attempt = 0; attempt < 20 && seen.size < 2; attempt++) {
      const { y, who } = await model.run({ x });
      expect(Array.from(y!.data as Float32Array)).toEqual(Array.from(x));
      for (const w of who!.data as Int32Array) seen.add(w);
    }
    expect(seen.size).toBeGreaterThan(1);
    // Scratch areas are 16-byte aligned and distinct per thread.
    for (const w of seen) expect(w % 16).toBe(0);
    expect(seen.size).toBeLessThanOrEqual(3);
  });

  it('keeps state between runs and zeroes it on resetState', async () => {
    const model = await load(handPackage(accumulateProgram(), [ACCUMULATE]), 1);
    const x = randomFloats(7, 3);
    const once = x.map((v) => v);
    const twice = x.map((v) => Math.fround(v + v));
    expect((await model.run({ x })).y!.data).toEqual(once);
    expect((await model.run({ x })).y!.data).toEqual(twice);
    model.resetState();
    expect((await model.run({ x })).y!.data).toEqual(once);
    // A different N moves the state: it starts again from zero.
    const x9 = randomFloats(9, 4);
    expect((await model.run({ x: x9 })).y!.data).toEqual(x9);
  });

  it('grows memory when a dim grows between calls, and stays correct when it shrinks back', async () => {
    const model = await load(biasPackage(), 2);
    const small = randomFloats(7 * D, 1);
    const before = model.memoryBytes;
    expect(Array.from((await model.run({ x: { data: small, shape: [7, D] } })).y!.data as Float32Array)).toEqual(Array.from(expectedBias(small)));
    const S = 300_000; // 3 × 4.8 MB of f32: far past the first pages
    const large = randomFloats(S * D, 2);
    const y = (await model.run({ x: { data: large, shape: [S, D] } })).y!.data as Float32Array;
    expect(model.memoryBytes).toBeGreaterThan(before);
    expect(model.memoryBytes).toBeGreaterThanOrEqual(3 * S * D * 4);
    const want = expectedBias(large);
    expect(y.length).toBe(want.length);
    expect(y.every((v, i) => v === want[i])).toBe(true);
    expect(Array.from((await model.run({ x: { data: small, shape: [7, D] } })).y!.data as Float32Array)).toEqual(Array.from(expectedBias(small)));
  });

  it('binds shared symbols across inputs and uses defaults', async () => {
    const model = await load(handPackage(pairProgram(), [SCALE]), 1);
    const x = randomFloats(2 * 3, 8);
    const w = randomFloats(2 * 3, 9);
    // D has default 3; B comes from x's shape; w is a bare array whose shape follows.
    const out = await model.run({ x: { data: x, shape: [2, 3] }, w });
    expect(out.y!.shape).toEqual([2, 3]);
    expect(out.z!.shape).toEqual([2, 3]);
    expect(Array.from(out.z!.data as Float32Array)).toEqual(Array.from(w.map((v) => Math.fround(Math.fround(v * 2) + 1))));
  });

  it('reports a kernel that traps on a worker, naming the kernel, and keeps working', async () => {
    const model = await load(handPackage(trapProgram(), [TRAP]), 2);
    // Whichever thread traps first (the calling one or a worker), the error names the kernel.
    await expect(model.run({ x: randomFloats(100_000, 1) })).rejects.toThrow(/kernel 'trap' failed.*unreachable/);
    await expect(model.run({ x: randomFloats(3, 1) })).rejects.toThrow(/kernel 'trap' failed: unreachable/);
    await expect(model.run({ x: randomFloats(100_000, 2) })).rejects.toThrow(/kernel 'trap' failed.*unreachable/);
  });

  it('gives each of several runs started together its own answer', async () => {
    const model = await load(biasPackage(), 2);
    const xs = [7, 40_000, 1, 129].map((S, i) => ({ S, x: randomFloats(S * D, 50 + i) }));
    const outs = await Promise.all(xs.map(({ S, x }) => model.run({ x: { data: x, shape: [S, D] } })));
    outs.forEach((out, i) => {
      const want = expectedBias(xs[i]!.x);
      expect((out.y!.data as Float32Array).every((v, j) => v === want[j])).toBe(true);
    });
  });

  it('refuses to run after dispose', async () => {
    const model = await load(biasPackage(), 2);
    model.dispose();
    await expect(model.run({ x: { data: randomFloats(D, 1), shape: [1, D] } })).rejects.toThrow(/disposed/);
  });

  it('refuses weights shorter than the weights region', async () => {
    const pkg = biasPackage();
    await expect(loadModel({ ...pkg, weights: pkg.weights.subarray(0, 3) })).rejects.toThrow(/weights: the model needs 16 bytes/);
  });

  it('runs on one thread with a plain memory where memory cannot be shared, and says so once', async () => {
    const node = await detectHost();
    const page: Host = { ...node, kind: 'browser', canShareMemory: false };
    const warn = vi.spyOn(console, 'warn').mockImplementation(() => {});
    try {
      const a = await load(biasPackage(), 4, page);
      const b = await load(biasPackage(), 4, page);
      expect(a.threads).toBe(1);
      expect(a.sharedMemory).toBe(false);
      const x = randomFloats(129 * D, 7);
      expect(Array.from((await b.run({ x: { data: x, shape: [129, D] } })).y!.data as Float32Array)).toEqual(Array.from(expectedBias(x)));
      const S = 100_000; // growth of a plain memory detaches its buffer: views must be fresh
      const large = randomFloats(S * D, 8);
      const y = (await a.run({ x: { data: large, shape: [S, D] } })).y!.data as Float32Array;
      const want = expectedBias(large);
      expect(y.every((v, i) => v === want[i])).toBe(true);
      expect(warn.mock.calls.filter((c) => String(c[0]).includes('cross-origin isolated'))).toHaveLength(1);
    } finally {
      warn.mockRestore();
    }
  });

  it('runs threads through the browser host: Web Workers from a blob: URL, a main thread that may not block', async () => {
    const g = globalThis as { Worker?: unknown };
    const saved = g.Worker;
    g.Worker = FakeWebWorker;
    try {
      const page: Host = { ...browserHost(), canBlock: false };
      expect(page.kind).toBe('browser');
      const model = await load(biasPackage(), 3, page);
      expect(model.threads).toBe(3);
      const S = 50_000;
      const x = randomFloats(S * D, 12);
      for (let run = 0; run < 3; run++) {
        const y = (await model.run({ x: { data: x, shape: [S, D] } })).y!.data as Float32Array;
        const want = expectedBias(x);
        expect(y.every((v, i) => v === want[i])).toBe(true);
      }
    } finally {
      g.Worker = saved;
    }
  });
});
