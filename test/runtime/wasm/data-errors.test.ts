// Data-dependent errors on wasm: a gather index out of range is refused like the interpreter
// refuses it (SL2010 at the node), not clamped into a silent wrong answer — on one thread and
// on several, and a bad run leaves nothing behind for the next good one.

import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it, vi } from 'vitest';
import { main } from '../../../cli/main.js';
import { encodeNpy } from '../../../compiler/io/npy.js';
import { compile, DiagnosticError, formatDiagnostics, parse, run, tensor, toNumbers, type Tensor } from '../../../index.js';
import { checkManifest } from '../../../runtime/manifest.js';
import { DataError, loadModel } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';

const source = 'model G(N, V = 5) {\n  input table: f32[V, 3]\n  input ids: i32[N]\n  output rows = gather(table, ids)\n  output top = max(ids, axes: [0])\n}\n';

async function diagnosticOf(p: Promise<unknown>): Promise<string> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(DiagnosticError);
    return formatDiagnostics((e as DiagnosticError).diagnostics);
  }
  throw new Error('expected the run to fail');
}

describe('data-dependent errors on wasm', () => {
  const { graph } = parse(source, 'g.sluice');
  const table = randomTensor('f32', [5, 3], 1);

  it('run gives the interpreter\'s diagnostic, and the next good run is fine', async () => {
    for (const threads of [1, 2]) {
      const good = await run(graph!, { table, ids: tensor('i32', [3], [4, -5, 0]) }, { target: 'wasm', threads });
      const reference = await run(graph!, { table, ids: tensor('i32', [3], [4, -5, 0]) });
      expect(toNumbers(good.outputs.rows!)).toEqual(toNumbers(reference.outputs.rows!));
      for (const ids of [[1, 5], [-6, 0], [2, 3, 9]]) {
        const bad = { table, ids: tensor('i32', [ids.length], ids) };
        const expected = await diagnosticOf(run(graph!, bad));
        expect(expected).toMatch(/^g\.sluice:4:17: error SL2010: gather index (5|-6|9) is out of range for axis 0 of size 5/);
        expect(await diagnosticOf(run(graph!, bad, { target: 'wasm', threads }))).toBe(expected);
      }
    }
  });

  it('a package refuses bad indices on several threads and keeps running good ones', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-data-errors-'));
    const file = join(dir, 'g.sluice');
    writeFileSync(file, source.replace('V = 5', 'V = 129').replace('f32[V, 3]', 'f32[V, 300]'));
    const compiled = compile(file, { target: 'wasm' }).wasm!;
    const manifest = compiled.manifest;
    expect(manifest.errors?.sites.map((s) => [s.code, s.op, s.message])).toEqual([[2010, 'gather', 'gather index {v0} is out of range for axis 0 of size {d0}']]);
    const model = await loadModel({ manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 2, parallelMinBytes: 0 });
    try {
      const big = randomTensor('f32', [129, 300], 7);
      const runIds = (ids: number[]) => model.run({ table: { data: big.data as Float32Array, shape: [129, 300] }, ids: { data: Int32Array.from(ids), shape: [ids.length] } });
      const goodIds = Array.from({ length: 129 }, (_, i) => ((i * 37) % 258) - 129);
      const check = async () => {
        const out = await runIds(goodIds);
        const expected = await run(parse(source.replace('V = 5', 'V = 129').replace('f32[V, 3]', 'f32[V, 300]'), 'g.sluice').graph!,
          { table: big as Tensor, ids: tensor('i32', [129], goodIds) });
        expect(Array.from(out.rows!.data as Float32Array)).toEqual(toNumbers(expected.outputs.rows!));
      };
      await check();
      for (const [at, v] of [[0, 129], [128, -130], [64, 2 ** 31 - 1], [7, -(2 ** 31)]] as const) {
        const ids = [...goodIds];
        ids[at] = v;
        const error = await runIds(ids).then(() => undefined, (e: unknown) => e);
        expect(error).toBeInstanceOf(DataError);
        expect((error as DataError).code).toBe(2010);
        expect((error as DataError).message).toBe(`gather node 'g.sluice:4:17': gather index ${v} is out of range for axis 0 of size 129 (SL2010)`);
        await check();
      }
    } finally {
      model.dispose();
    }
  });

  it('checks i64 indices in their own width (2^33 is not index 0)', async () => {
    const { graph: g64 } = parse('model H(N) {\n  input table: f32[4, 2]\n  input ids: i64[N]\n  output rows = gather(table, ids)\n}\n', 'h.sluice');
    const t = randomTensor('f32', [4, 2], 3);
    const good = await run(g64!, { table: t, ids: tensor('i64', [2], [3, -4]) }, { target: 'wasm' });
    expect(toNumbers(good.outputs.rows!)).toEqual(toNumbers((await run(g64!, { table: t, ids: tensor('i64', [2], [3, -4]) })).outputs.rows!));
    for (const v of [2 ** 33, -(2 ** 33) + 1, 4]) {
      const bad = { table: t, ids: tensor('i64', [2], [1, v]) };
      const expected = await diagnosticOf(run(g64!, bad));
      expect(await diagnosticOf(run(g64!, bad, { target: 'wasm' }))).toBe(expected);
    }
  });

  it('the manifest must size the status value for its sites', () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-data-errors-'));
    const file = join(dir, 'g.sluice');
    writeFileSync(file, source);
    const manifest = JSON.parse(JSON.stringify(compile(file, { target: 'wasm' }).wasm!.manifest)) as { errors: { sites: unknown[] } };
    expect(() => checkManifest(manifest)).not.toThrow();
    manifest.errors.sites.push(manifest.errors.sites[0]);
    expect(() => checkManifest(manifest)).toThrow(/errors\.status.*must have shape/);
  });

  it('sluice run (wasm, the default) reports it as the interpreter\'s diagnostic', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'sluice-data-errors-'));
    const file = join(dir, 'g.sluice');
    writeFileSync(file, source);
    writeFileSync(join(dir, 'ids.npy'), encodeNpy(tensor('i32', [2], [1, 5])));
    const stderr: string[] = [];
    const spy = vi.spyOn(process.stderr, 'write').mockImplementation((chunk: string | Uint8Array) => {
      stderr.push(String(chunk));
      return true;
    });
    try {
      const code = await main(['run', file, '--input', `ids=${join(dir, 'ids.npy')}`, '--out', join(dir, 'out'), '--quiet']);
      expect(code).toBe(1);
    } finally {
      spy.mockRestore();
    }
    expect(stderr.join('')).toMatch(/g\.sluice:4:17: error SL2010: gather index 5 is out of range for axis 0 of size 5/);
  });
});
