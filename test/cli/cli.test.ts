// The CLI as a user runs it: a child process of the built `bin/sluice.js` (npm test builds
// dist/ first).

import { spawnSync } from 'node:child_process';
import { mkdtempSync, readFileSync, writeFileSync, existsSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { readNpy, encodeNpy } from '../../compiler/io/npy.js';
import { encodeSafetensors } from '../../compiler/io/safetensors.js';
import { encodeTensorProto } from '../../compiler/io/tensor-proto.js';
import { loadModel } from '../../compiler/driver/load-model.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor, toNumbers } from '../../compiler/interpret/tensor.js';
import { evalDim } from '../../compiler/ir/dim.js';
import { randomTensor } from '../helpers/random.js';
import { relativeL2 } from '../helpers/close.js';
import { encodeModel, reshapeByInputModel } from '../helpers/onnx-model.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');

function sluice(args: string[], cwd = root): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, [bin, ...args], { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

let work: string;
beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
  work = mkdtempSync(join(tmpdir(), 'sluice-cli-'));
});

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
  expect(text).not.toContain('internal error');
}

describe('sluice run', () => {
  it('runs the transformer block with --check, prints outputs and writes .npy files', () => {
    const out = join(work, 'block');
    const r = sluice(['run', 'examples/transformer-block.sluice', '--check', '--out', out]);
    expect(r.stderr).toContain('input x was not given; using seeded random data f32[16, 256]');
    expect(r.stderr).toContain('parameters are seeded random values');
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`output y: f32[16, 256] -> ${join(out, 'y.npy')}`);
    // The default target is wasm; --check compares it with the interpreter.
    expect(r.stdout).toContain('Block on wasm with S=16');
    expect(r.stdout).toMatch(/check y: max abs error \d\.\d\de[+-]\d+, relative L2 error \d\.\d\de-\d+ \(tolerance 0\.0001\) — ok/);
    const y = readNpy(readFileSync(join(out, 'y.npy')), 'y.npy');
    expect(y.shape).toEqual([16, 256]);
    expect(toNumbers(y).some((v) => v !== 0)).toBe(true);
    expect(toNumbers(y).every(Number.isFinite)).toBe(true);
  });

  it('takes inputs and weights from files and matches the interpreter', () => {
    const graph = loadModel(join(root, 'examples/mlp.sluice'));
    const x = randomTensor('f32', [7, 64], 11);
    const defaults = new Map(graph.dims.filter((d) => d.defaultValue !== undefined).map((d) => [d.name, d.defaultValue!]));
    const weights = new Map(graph.params.map((p, i) => [p.attrs.name, randomTensor('f32', p.shape.map((d) => evalDim(d, defaults)), 20 + i)]));
    writeFileSync(join(work, 'x.npy'), encodeNpy(x));
    writeFileSync(join(work, 'w.safetensors'), encodeSafetensors(weights));
    const out = join(work, 'mlp');
    const r = sluice(['run', 'examples/mlp.sluice', '--input', `x=${join(work, 'x.npy')}`, '--weights', join(work, 'w.safetensors'), '--out', out, '--json']);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.dims).toEqual({ B: 7, D: 64, F: 256, C: 10 });
    expect(json.outputs.map((o: { name: string; shape: number[] }) => [o.name, o.shape])).toEqual([['logits', [7, 10]], ['probs', [7, 10]]]);
    expect(json.notes).toEqual([]);
    const expected = interpret(graph, new Map([['x', x]]), weights).outputs;
    for (const name of ['logits', 'probs']) {
      // wasm accumulates in f32, the interpreter in f64.
      expect(relativeL2(toNumbers(readNpy(readFileSync(join(out, `${name}.npy`)), name)), toNumbers(expected.get(name)!))).toBeLessThan(1e-5);
    }
    // On the interpreter target the numbers are the interpreter's, exactly.
    const ri = sluice(['run', 'examples/mlp.sluice', '--target', 'interp', '--input', `x=${join(work, 'x.npy')}`, '--weights', join(work, 'w.safetensors'), '--out', `${out}-interp`, '--json']);
    expect(ri.code).toBe(0);
    for (const name of ['logits', 'probs']) {
      expect(toNumbers(readNpy(readFileSync(join(`${out}-interp`, `${name}.npy`)), name))).toEqual(toNumbers(expected.get(name)!));
    }
  });

  it('reads inputs from ONNX TensorProto .pb files', () => {
    const x = randomTensor('f32', [3, 64], 12);
    writeFileSync(join(work, 'x.pb'), encodeTensorProto(x, 'x'));
    const r = sluice(['run', 'examples/mlp.sluice', '--input', `x=${join(work, 'x.pb')}`, '--json', '--quiet', '--out', join(work, 'pb')]);
    expect(r.code).toBe(0);
    expect(JSON.parse(r.stdout).dims.B).toBe(3);
    expect(r.stderr).toBe('');
  });

  it('binds dims with --dim and says so in --json, with check errors', () => {
    const r = sluice(['run', 'examples/attention.sluice', '--dim', 'S=7', '--check', '--json', '--out', join(work, 'attn')]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.dims.S).toBe(7);
    expect(json.outputs[0].shape).toEqual([7, 128]);
    expect(json.target).toBe('wasm');
    expect(json.check[0]).toMatchObject({ name: 'y', ok: true });
    expect(json.check[0].relL2Error).toBeGreaterThan(0); // really two computations
    expect(json.check[0].relL2Error).toBeLessThan(1e-5);
  });

  it('reports every mistake in a DSL file with line, column and caret, and no stack trace', () => {
    const file = join(work, 'three-mistakes.sluice');
    writeFileSync(
      file,
      ['model Bad(S, D = 8) {', '  input x: f32[S, D]', '  param w: f32[4, D]', '  let a = x @ w', '  let b = relu(y)', '  output z = (a + b', '}', ''].join('\n'),
    );
    const r = sluice(['run', file]);
    expect(r.code).toBe(1);
    noStackTrace(r.stderr);
    const heads = r.stderr.split('\n').filter((l) => l.startsWith(file));
    expect(heads).toHaveLength(3);
    expect(heads[0]).toMatch(new RegExp(`^${file}:4:\\d+: error SL2004: matmul inner dimensions differ`));
    expect(heads[1]).toBe(`${file}:5:16: error SL1101: unknown name 'y'`);
    expect(heads[2]).toMatch(new RegExp(`^${file}:(6|7):\\d+: error SL1002: `));
    expect(r.stderr).toContain('  5 |   let b = relu(y)\n    |                ^');
  });

  it('refuses bad options and files with diagnostics', () => {
    const missing = sluice(['run', 'examples/nope.sluice']);
    expect(missing.code).toBe(1);
    expect(missing.stderr).toContain("error SL5006: cannot read 'examples/nope.sluice': no such file");
    const badInput = sluice(['run', 'examples/mlp.sluice', '--input', 'q=foo.npy']);
    expect(badInput.stderr).toContain("error SL5005: the model has no input named 'q' (inputs: x)");
    const badFile = sluice(['run', 'examples/mlp.sluice', '--input', `x=${join(work, 'missing.npy')}`]);
    expect(badFile.stderr).toContain('error SL5006');
    const badDim = sluice(['run', 'examples/mlp.sluice', '--dim', 'B=x']);
    expect(badDim.code).toBe(1);
    expect(badDim.stderr).toContain("dimension B must be a non-negative integer, got 'x'");
    const unknownDim = sluice(['run', 'examples/mlp.sluice', '--dim', 'Q=3', '--out', join(work, 'q')]);
    expect(unknownDim.stderr).toContain("error SL5010: the model has no dimension named 'Q'");
    const onnx = sluice(['run', 'model.onnx']);
    expect(onnx.stderr).toContain("error SL5006: cannot read 'model.onnx': no such file");
    const target = sluice(['run', 'examples/mlp.sluice', '--target', 'tpu']);
    expect(target.code).toBe(1);
    expect(target.stderr).toContain("unknown target 'tpu' (available: wasm, webgpu, cuda, interp)");
    for (const r of [missing, badInput, badFile, badDim, unknownDim, onnx, target]) noStackTrace(r.stderr);
  });

  it('gives errors as JSON under --json', () => {
    const r = sluice(['run', 'examples/mlp.sluice', '--input', 'q=foo.npy', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toEqual({ ok: false, diagnostics: [{ code: 'SL5005', severity: 'error', message: "the model has no input named 'q' (inputs: x)" }] });
  });
});

describe('sluice inspect', () => {
  it('prints the IR after a pass', () => {
    const r = sluice(['inspect', 'examples/mlp.sluice', '--after', 'parse']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^graph MLP\(B, D = 64, F = 256, C = 10\) \{/);
    expect(r.stdout).toContain('input x: f32[B, D]');
    expect(r.stdout).toContain('= matmul(x, w1)');
    expect(r.stdout).toContain('output probs = ');
    const all = sluice(['inspect', 'examples/transformer-block.sluice', '--verify']);
    expect(all.code).toBe(0);
    expect(all.stdout).toContain('attention(');
  });

  it('names the passes when asked for one that does not exist', () => {
    const r = sluice(['inspect', 'examples/mlp.sluice', '--after', 'fuse-everything']);
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("error SL5016: no pass named 'fuse-everything' (passes: parse, fold-constants, simplify, fuse-attention, group-kernels)");
  });
});

describe('sluice with ONNX models', () => {
  it('inspect lists every unsupported op at once, with counts and node names', () => {
    const file = join(work, 'unsupported.onnx');
    writeFileSync(file, encodeModel({
      nodes: [
        { op: 'Frobnicate', inputs: ['x'], outputs: ['a'], name: 'f1' },
        { op: 'Frobnicate', inputs: ['a'], outputs: ['b'], name: 'f2' },
        { op: 'Gribble', inputs: ['b'], outputs: ['c'], name: 'g1' },
        { op: 'Transpose', inputs: ['c'], outputs: ['y'], name: 't1' },
      ],
      inputs: [{ name: 'x', shape: ['N', 3] }],
      outputs: [{ name: 'y' }],
    }));
    const r = sluice(['inspect', file]);
    expect(r.code).toBe(1);
    expect(r.stdout).toContain('ops: 4 nodes of 3 kinds, 2 kinds unsupported');
    expect(r.stdout).toMatch(/2 {2}Frobnicate +UNSUPPORTED {2}\('f1', 'f2'\)/);
    expect(r.stdout).toMatch(/1 {2}Gribble +UNSUPPORTED {2}\('g1'\)/);
    expect(r.stdout).toMatch(/1 {2}Transpose +supported/);
    expect(r.stderr).toContain("node 'f1' (Frobnicate): error SL3002: unsupported ONNX op 'Frobnicate'");
    expect(r.stderr).toContain("node 'g1' (Gribble): error SL3002: unsupported ONNX op 'Gribble'");
    noStackTrace(r.stderr);
  });

  it('inspect shows symbolic inputs and outputs and the IR; run works on the interpreter', () => {
    const file = join(work, 'transpose.onnx');
    writeFileSync(file, encodeModel({
      nodes: [{ op: 'Transpose', inputs: ['x'], outputs: ['y'], name: 't1', attrs: { perm: [1, 0] } }],
      inputs: [{ name: 'x', shape: ['batch', 3] }],
      outputs: [{ name: 'y', shape: [3, 'batch'] }],
    }));
    const r = sluice(['inspect', file]);
    expect(r.code).toBe(0);
    expect(r.stdout).toContain('symbolic dims: batch');
    expect(r.stdout).toContain('input  x: f32[batch, 3]');
    expect(r.stdout).toContain('output y: f32[3, batch]');
    expect(r.stdout).toContain('= transpose(x) {perm: [1, 0]}');
    const x = randomTensor('f32', [5, 3], 4);
    writeFileSync(join(work, 'xt.npy'), encodeNpy(x));
    const out = join(work, 'onnx-run');
    const run = sluice(['run', file, '--input', `x=${join(work, 'xt.npy')}`, '--out', out, '--json']);
    expect(run.code).toBe(0);
    const y = toNumbers(readNpy(readFileSync(join(out, 'y.npy')), 'y'));
    const xv = toNumbers(x);
    expect(y).toEqual(Array.from({ length: 15 }, (_, k) => xv[(k % 5) * 3 + Math.floor(k / 5)]));
  });
});

describe('sluice run with an ONNX model that needs an input when it is imported', () => {
  // y = Reshape(x, shape) * w, with the Reshape target a graph input.
  const w = randomTensor('f32', [2], 51);
  const x = randomTensor('f32', [2, 6], 52);
  const expected = toNumbers(x).map((v, i) => Math.fround(v * toNumbers(w)[i % 2]!));
  let file: string;
  beforeAll(() => {
    file = join(work, 'reshape-by-input.onnx');
    writeFileSync(file, encodeModel(reshapeByInputModel(w)));
    writeFileSync(join(work, 'rx.npy'), encodeNpy(x));
    writeFileSync(join(work, 'shape.npy'), encodeNpy(tensor('i64', [3], [3, 2, 2])));
  });

  it('freezes the given shape, warns, and computes y', () => {
    const out = join(work, 'frozen');
    const r = sluice(['run', file, '--input', `x=${join(work, 'rx.npy')}`, '--input', `shape=${join(work, 'shape.npy')}`, '--out', out]);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("warning SL3019: input 'shape' was frozen to the values given: the compiled model is specialised to them");
    expect(r.stdout).toContain(`output y: f32[3, 2, 2] -> ${join(out, 'y.npy')}`);
    const y = readNpy(readFileSync(join(out, 'y.npy')), 'y');
    expect(y.shape).toEqual([3, 2, 2]);
    expect(toNumbers(y)).toEqual(expected);
    noStackTrace(r.stderr);
  });

  it('says so in --json too', () => {
    const out = join(work, 'frozen-json');
    const r = sluice(['run', file, '--input', `shape=${join(work, 'shape.npy')}`, '--input', `x=${join(work, 'rx.npy')}`, '--json', '--out', out]);
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    expect(json.warnings).toEqual([expect.objectContaining({ code: 'SL3019', severity: 'warning', message: "input 'shape' was frozen to the values given: the compiled model is specialised to them" })]);
    expect(json.outputs).toEqual([{ name: 'y', dtype: 'f32', shape: [3, 2, 2], file: join(out, 'y.npy') }]);
    expect(json.notes).toEqual([]);
    expect(toNumbers(readNpy(readFileSync(join(out, 'y.npy')), 'y'))).toEqual(expected);
  });

  it('without the shape, SL3014 says to pass it with --input', () => {
    for (const args of [[], ['--input', `x=${join(work, 'rx.npy')}`]]) {
      const r = sluice(['run', file, ...args, '--out', join(work, 'unfrozen')]);
      expect(r.code).toBe(1);
      expect(r.stderr).toContain(`${file}: node 'reshape' (Reshape): error SL3014: the target shape (input 1 of Reshape) must be known when the model is imported`);
      expect(r.stderr).toContain("note: it comes from graph input 'shape'; give its value (sluice run --input shape=FILE, or the inputs passed to run()) and sluice specialises the model to it");
      noStackTrace(r.stderr);
    }
  });
});

describe('sluice --help', () => {
  it('lists run, compile and inspect', () => {
    const r = sluice(['--help']);
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/^\s+run \[options\] <model>/m);
    expect(r.stdout).toMatch(/^\s+compile \[options\] <model>/m);
    expect(r.stdout).toMatch(/^\s+inspect \[options\] <model>/m);
  });
});
