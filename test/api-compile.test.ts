import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { compile, DiagnosticError } from '../index.js';

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
    expect(() => compile(join(root, 'examples/mlp.sluice'), { target: 'cuda' as never })).toThrow(DiagnosticError);
  });
});
