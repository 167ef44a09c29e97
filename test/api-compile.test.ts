import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, DiagnosticError, interpret, loadPackage, toNumbers } from '../index.js';
import { randomTensor } from './helpers/random.js';
import { relativeL2 } from './helpers/close.js';

const root = resolve(import.meta.dirname, '..');
const work = mkdtempSync(join(tmpdir(), 'sluice-api-compile-'));
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('compile for wasm (API)', () => {
  it('builds the package in memory, and writes it when given a folder', () => {
    const inMemory = compile(join(root, 'examples/mlp.sluice'), { target: 'wasm', dims: { B: 2 } });
    expect(inMemory.wasm!.manifest.inputs[0]!.shape).toEqual([2, 64]);
    expect(inMemory.package).toBeUndefined();

    const out = join(work, 'mlp');
    const written = compile(join(root, 'examples/mlp.sluice'), { target: 'wasm', out, packageName: 'my-mlp' });
    expect(written.package!.outDir).toBe(out);
    expect(written.package!.files.map((f) => f.path)).toContain('weights.bin');
    expect(existsSync(join(out, 'runtime/wasm/index.js'))).toBe(true);
    expect(written.wasm!.manifest.stats.kernels).toBeGreaterThan(0);
  });

  it('stops after a pass without lowering, and refuses unknown targets', () => {
    expect(compile(join(root, 'examples/mlp.sluice'), { target: 'wasm', stopAfter: 'parse' }).wasm).toBeUndefined();
    expect(() => compile(join(root, 'examples/mlp.sluice'), { target: 'tpu' as never })).toThrow(DiagnosticError);
  });

  it('loadPackage runs a written package and matches the interpreter; a hostile manifest is refused', async () => {
    const out = join(work, 'mlp-load');
    const compiled = compile(join(root, 'examples/mlp.sluice'), { target: 'wasm', out, seed: 3 });
    const model = await loadPackage(out, { threads: 2 });
    try {
      for (const batch of [1, 7, 129]) {
        const x = randomTensor('f32', [batch, 64], 40 + batch);
        const got = await model.run({ x: { data: x.data as Float32Array, shape: [batch, 64] } });
        // The package's weights are the seeded ones the compile made: read them back from the graph's params via the manifest.
        const weights = new Map(compiled.wasm!.program.values.filter((v) => v.role === 'weight' && !v.constant).map((v) => {
          const w = compiled.wasm!.manifest.weights.find((m) => m.name === v.name)!;
          const bytes = readFileSync(join(out, 'weights.bin')).subarray(w.offset, w.offset + w.bytes);
          const data = new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength));
          return [v.name, { dtype: 'f32' as const, shape: (w.shape as number[]), data }];
        }));
        const want = interpret(compiled.graph, new Map([['x', x]]), weights).outputs.get('probs')!;
        expect(got.probs!.shape).toEqual([batch, 10]);
        expect(relativeL2(Array.from(got.probs!.data as Float32Array), toNumbers(want))).toBeLessThan(1e-5);
      }
    } finally {
      model.dispose();
    }
    const manifest = JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8'));
    manifest.files.weights = '../../etc/passwd';
    writeFileSync(join(out, 'manifest.json'), JSON.stringify(manifest));
    await expect(loadPackage(out)).rejects.toThrow(/outside the package folder/);
  });
});
