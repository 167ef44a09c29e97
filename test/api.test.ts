// The public API as the README shows it.

import { mkdtempSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { compile, DiagnosticError, formatDiagnostics, interpret, parse, passNames, printGraph, run, tensor, toNumbers } from '../index.js';
import { encodeModel, reshapeByInputModel } from './helpers/onnx-model.js';
import { randomTensor } from './helpers/random.js';

const root = resolve(import.meta.dirname, '..');

describe('the API', () => {
  it('parses, compiles and runs the MLP example with given inputs', async () => {
    const x = randomTensor('f32', [4, 64], 3);
    const model = compile(join(root, 'examples/mlp.sluice'), { target: 'interp', verify: true });
    expect(model.timings.map((t) => t.name)).toEqual(passNames().filter((p) => p !== 'parse' && p !== 'group-kernels'));
    const { outputs, dims, notes, checks } = await run(model, { x }, { randomWeights: true, check: true });
    expect(outputs.probs!.shape).toEqual([4, 10]);
    expect(dims).toEqual({ B: 4, D: 64, F: 256, C: 10 });
    expect(notes).toHaveLength(1);
    expect(notes[0]).toContain('parameters are seeded random values');
    expect(checks!.every((c) => c.ok)).toBe(true);
    // Each softmax row sums to one.
    const p = toNumbers(outputs.probs!);
    for (let r = 0; r < 4; r++) expect(p.slice(r * 10, r * 10 + 10).reduce((a, b) => a + b, 0)).toBeCloseTo(1, 5);
  });

  it('gives the same outputs as the interpreter on the parsed graph with the same weights', async () => {
    const source = readFileSync(join(root, 'examples/attention.sluice'), 'utf8');
    const { graph, diagnostics } = parse(source, 'attention.sluice');
    expect(diagnostics).toEqual([]);
    const weights = Object.fromEntries(graph!.params.map((p, i) => [p.attrs.name, randomTensor('f32', [128, 128], 50 + i)]));
    const x = randomTensor('f32', [7, 128], 9);
    const viaRun = (await run(graph!, { x }, { weights })).outputs.y!;
    const direct = interpret(graph!, new Map([['x', x]]), new Map(Object.entries(weights))).outputs.get('y')!;
    expect(toNumbers(viaRun)).toEqual(toNumbers(direct));
    expect(printGraph(graph!)).toContain('attention(');
  });

  it("runs on the wasm target with target: 'wasm' and matches the interpreter", async () => {
    const x = randomTensor('f32', [7, 64], 21);
    const model = compile(join(root, 'examples/mlp.sluice'), { target: 'interp' });
    const viaWasm = await run(model, { x }, { randomWeights: true, target: 'wasm', threads: 2, check: true });
    expect(viaWasm.outputs.probs!.shape).toEqual([7, 10]);
    expect(viaWasm.checks!.length).toBeGreaterThan(0);
    expect(viaWasm.checks!.every((c) => c.ok)).toBe(true);
    const viaInterp = await run(model, { x }, { randomWeights: true });
    const a = toNumbers(viaWasm.outputs.probs!);
    const b = toNumbers(viaInterp.outputs.probs!);
    expect(Math.max(...a.map((v, i) => Math.abs(v - b[i]!)))).toBeLessThan(1e-5);
  });

  it('reports user errors as a DiagnosticError with every diagnostic, never another exception', async () => {
    const { graph, diagnostics } = parse('model M(S) {\n  input x: f32[S]\n  output y = x @ x @ q\n  output z = foo(x)\n}\n', 'm.sluice');
    expect(graph).toBeUndefined();
    expect(formatDiagnostics(diagnostics)).toContain("m.sluice:3:22: error SL1101: unknown name 'q'");
    expect(formatDiagnostics(diagnostics)).toContain("m.sluice:4:14: error SL1103: unknown function 'foo'");
    const bad = run(join(root, 'examples/mlp.sluice'), { x: tensor('f32', [2, 3], [1, 2, 3, 4, 5, 6]) }, { randomWeights: true, dims: { D: 64 } });
    const e = await bad.then(() => undefined, (err: unknown) => err);
    expect(e).toBeInstanceOf(DiagnosticError);
    expect((e as DiagnosticError).diagnostics.map((d) => d.code)).toEqual([5004]);
    await expect(run(join(root, 'examples/mlp.sluice'), { x: randomTensor('f32', [2, 64], 1) })).rejects.toThrow(/parameter 'w1' is not in the weights file/);
  });

  it('reports data-dependent errors at run time as diagnostics at the source span', async () => {
    const source = 'model G(N, V = 5) {\n  input table: f32[V, 3]\n  input ids: i32[N]\n  output rows = gather(table, ids)\n  output top = max(ids, axes: [0])\n}\n';
    const { graph } = parse(source, 'g.sluice');
    const table = randomTensor('f32', [5, 3], 1);
    expect((await run(graph!, { table, ids: tensor('i32', [3], [4, -5, 0]) })).outputs.rows!.shape).toEqual([3, 3]);
    try {
      await run(graph!, { table, ids: tensor('i32', [2], [1, 5]) });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      expect(formatDiagnostics((e as DiagnosticError).diagnostics)).toMatch(/^g\.sluice:4:17: error SL2010: gather index 5 is out of range for axis 0 of size 5/);
    }
    try {
      await run(graph!, { table, ids: tensor('i32', [0], []) });
      expect.unreachable();
    } catch (e) {
      expect((e as DiagnosticError).diagnostics.map((d) => d.code)).toEqual([2011]);
    }
  });
});

describe('the API with an ONNX model that needs an input when it is imported', () => {
  // y = Reshape(x, shape) * w, with the Reshape target a graph input.
  const w = randomTensor('f32', [2], 61);
  const x = randomTensor('f32', [2, 6], 62);
  const shape = tensor('i64', [3], [2, 3, 2]);
  const expected = toNumbers(x).map((v, i) => Math.fround(v * toNumbers(w)[i % 2]!));
  const file = join(mkdtempSync(join(tmpdir(), 'sluice-api-')), 'reshape-by-input.onnx');
  writeFileSync(file, encodeModel(reshapeByInputModel(w)));

  it('run(path, inputs) freezes the shape it needs and says so in warnings', async () => {
    const { outputs, warnings, notes } = await run(file, { x, shape });
    expect(outputs.y!.shape).toEqual([2, 3, 2]);
    expect(toNumbers(outputs.y!)).toEqual(expected);
    expect(warnings.map((d) => [d.code, d.message])).toEqual([[3019, "input 'shape' was frozen to the values given: the compiled model is specialised to them"]]);
    expect(notes).toEqual([]);
  });

  it('compile(path, { inputs }) gives a specialised model that run accepts the same values for', async () => {
    const model = compile(file, { inputs: { shape } });
    expect([...model.frozen.keys()]).toEqual(['shape']);
    expect(model.graph.inputs.map((i) => i.attrs.name)).toEqual(['x']);
    const other = randomTensor('f32', [2, 6], 63);
    expect(toNumbers((await run(model, { x: other, shape })).outputs.y!)).toEqual(toNumbers(other).map((v, i) => Math.fround(v * toNumbers(w)[i % 2]!)));
    await expect(run(model, { x, shape: tensor('i64', [3], [3, 2, 2]) })).rejects.toThrow("input 'shape' was frozen to other values when the model was compiled; compile it again with these");
  });

  it('without the shape it is SL3014, whose note says how to give it', async () => {
    try {
      await run(file, { x });
      expect.unreachable();
    } catch (e) {
      expect(e).toBeInstanceOf(DiagnosticError);
      const d = (e as DiagnosticError).diagnostics.find((x) => x.code === 3014)!;
      expect(d.notes[0]).toContain("it comes from graph input 'shape'; give its value (sluice run --input shape=FILE, or the inputs passed to run())");
    }
  });
});

