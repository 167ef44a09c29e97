// `sluice compile` as a user runs it: a child process of the built bin/sluice.js (npm test
// builds dist/ first), then the package it writes, loaded with plain node from its folder.

import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { loadModel } from '../../compiler/driver/load-model.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor } from '../../compiler/interpret/tensor.js';
import { checkManifest } from '../../runtime/manifest.js';
import { randomTensor, seededRandom } from '../helpers/random.js';
import { encodeModel } from '../helpers/onnx-model.js';
import { encodeSafetensors } from '../../compiler/io/safetensors.js';
import { relativeL2 } from '../helpers/close.js';

const root = resolve(import.meta.dirname, '../..');
const bin = join(root, 'bin/sluice.js');

function run(args: string[], cwd = root): { code: number; stdout: string; stderr: string } {
  const r = spawnSync(process.execPath, args, { cwd, encoding: 'utf8', env: { ...process.env, NO_COLOR: '1' } });
  return { code: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}
const sluice = (args: string[]) => run([bin, ...args]);

function noStackTrace(text: string): void {
  expect(text).not.toMatch(/^\s+at .+\(.*:\d+:\d+\)$/m);
  expect(text).not.toContain('internal error');
}

let work: string;
beforeAll(() => {
  if (!existsSync(join(root, 'dist/cli/main.js'))) throw new Error('dist/ is missing: run `npm test` (it builds first) or `npm run build`');
  work = mkdtempSync(join(tmpdir(), 'sluice-compile-'));
});
afterAll(() => rmSync(work, { recursive: true, force: true }));

describe('sluice compile', () => {
  it('writes the MLP as a package and prints one JSON object', () => {
    const out = join(work, 'mlp');
    const r = sluice(['compile', 'examples/mlp.sluice', '--target', 'wasm', '--out', out, '--json']);
    expect(r.stderr).toBe('');
    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout);
    for (const key of ['arenaBytes', 'weightsBytes', 'stateBytes', 'kernels', 'packageBytes']) expect(typeof json[key]).toBe('number');
    expect(json).toMatchObject({ ok: true, model: 'MLP', target: 'wasm', outDir: out, stateBytes: 0, dims: { B: 16, D: 64, F: 256, C: 10 }, symbolicDims: ['B'] });
    expect(json.kernels).toBeGreaterThan(0);
    expect(json.weightsBytes).toBeGreaterThanOrEqual(4 * (64 * 256 + 256 + 256 * 10 + 10));
    const paths = json.files.map((f: { path: string }) => f.path);
    for (const f of ['package.json', 'index.js', 'index.d.ts', 'manifest.json', 'model.wasm', 'weights.bin', 'runtime/wasm/index.js', 'runtime/manifest.js']) {
      expect(paths).toContain(f);
      expect(existsSync(join(out, f))).toBe(true);
    }
    expect(paths.every((p: string) => !p.endsWith('.ts') || p === 'index.d.ts')).toBe(true);
    const manifest = checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.stats.arenaBytes).toBe(json.arenaBytes);
    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'mlp', type: 'module', main: 'index.js', types: 'index.d.ts' });
    expect(pkg.dependencies).toBeUndefined();
    expect(readFileSync(join(out, 'index.d.ts'), 'utf8')).toContain('readonly "logits": OutputTensor<Float32Array, "f32">;');

    // The types check a caller's mistakes: a wrong input name or array type does not compile.
    writeFileSync(join(out, 'use.ts'), [
      "import { load } from './index.js';",
      'const model = await load({ threads: 1 });',
      'const { logits, probs } = await model.run({ x: { data: new Float32Array(128), shape: [2, 64] } });',
      'const first: number = logits.data[0]! + probs.data[0]!;',
      '// @ts-expect-error: no input named y',
      'await model.run({ y: new Float32Array(64) });',
      '// @ts-expect-error: x is f32',
      'await model.run({ x: new Int32Array(64) });',
      'export { first };',
    ].join('\n'));
    const tsc = run([join(root, 'node_modules/typescript/bin/tsc'), '--noEmit', '--strict', '--module', 'nodenext', '--target', 'es2022', '--lib', 'es2022', '--types', '', 'use.ts'], out);
    expect(tsc.stdout + tsc.stderr).toBe('');
    expect(tsc.code).toBe(0);
    rmSync(join(out, 'use.ts'));
  });

  it('prints a short summary with notes on stderr', () => {
    const r = sluice(['compile', 'examples/mlp.sluice', '--out', join(work, 'text'), '--dim', 'B=4']);
    expect(r.code).toBe(0);
    expect(r.stderr).toContain('note: parameters are seeded random values');
    expect(r.stdout).toMatch(/^MLP -> .*text \(wasm\)$/m);
    expect(r.stdout).toMatch(/^ {2}kernels {3}\d+ \(\d+ dispatches\)$/m);
    expect(r.stdout).toMatch(/^ {2}arena {5}[\d,]+ bytes at B=4, D=64, F=256, C=10/m);
    expect(r.stdout).toMatch(/^ {2}dims {6}all fixed; fixed B=4, D=64, F=256, C=10$/m);
    expect(r.stdout).toMatch(/^ {2}package {3}[\d,]+ bytes in \d+ files/m);
  });

  it('takes the parameters from a safetensors file', () => {
    const sizes: Record<string, number[]> = { w1: [64, 256], b1: [256], w2: [256, 10], b2: [10] };
    const weights = new Map(Object.entries(sizes).map(([name, shape], i) => [name, randomTensor('f32', shape, 50 + i)]));
    writeFileSync(join(work, 'mlp.safetensors'), encodeSafetensors(weights));
    const out = join(work, 'weighted');
    const r = sluice(['compile', 'examples/mlp.sluice', '--out', out, '--weights', join(work, 'mlp.safetensors')]);
    expect(r.code, r.stderr).toBe(0);
    expect(r.stderr).not.toContain('random');
    const manifest = checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    const bin = readFileSync(join(out, 'weights.bin'));
    for (const [name, t] of weights) {
      const w = manifest.weights.find((x) => x.name === name)!;
      expect(new Uint8Array(bin.buffer, bin.byteOffset + w.offset, w.bytes)).toEqual(new Uint8Array((t.data as Float32Array).buffer));
    }
  });

  it('reports mistakes as diagnostics with exit code 1 and no stack trace', () => {
    const cases: [string[], RegExp][] = [
      [['compile', 'examples/mlp.sluice', '--out', join(work, 'bad1'), '--dim', 'Q=3'], /SL5010.*no dimension named 'Q'/],
      [['compile', 'examples/mlp.sluice', '--out', join(work, 'bad2'), '--target', 'tpu'], /unknown target 'tpu'/],
      [['compile', 'examples/mlp.sluice'], /required option '--out <dir>'/],
      [['compile', 'examples/missing.sluice', '--out', join(work, 'bad3')], /cannot read .*no such file/],
      [['compile', 'examples/mlp.sluice', '--out', join(root, 'examples')], /not empty and does not hold a sluice package/],
    ];
    for (const [args, message] of cases) {
      const r = sluice(args);
      expect(r.code, args.join(' ')).toBe(1);
      expect(r.stderr).toMatch(message);
      noStackTrace(r.stderr);
    }
    const r = sluice(['compile', 'examples/mlp.sluice', '--out', join(work, 'bad4'), '--dim', 'Q=3', '--json']);
    expect(r.code).toBe(1);
    expect(JSON.parse(r.stdout)).toMatchObject({ ok: false, diagnostics: [{ code: 'SL5010' }] });
  });

  it('reports what has no kernel lowering as a diagnostic', () => {
    // An fp8 output cannot live in a kernel buffer (lowering unpacks or refuses such dtypes).
    const model = join(work, 'fp8.onnx');
    writeFileSync(model, encodeModel({
      nodes: [{ op: 'Cast', inputs: ['x'], outputs: ['y'], name: 'to_fp8', attrs: { to: 17 } }],
      inputs: [{ name: 'x', shape: [4, 8] }],
      outputs: [{ name: 'y', elemType: 17 }],
      opset: 21,
    }));
    const r = sluice(['compile', model, '--out', join(work, 'fp8')]);
    expect(r.code).toBe(1);
    expect(r.stderr).toMatch(/error SL4001: op '\w+' has no kernel lowering for target wasm/);
    noStackTrace(r.stderr);
  });
});

describe('a compiled package', () => {
  const cases = [
    { model: 'mlp', input: 'x', shape: [7, 64] },
    { model: 'transformer-block', input: 'x', shape: [9, 256] },
    { model: 'attention', input: 'x', shape: [5, 128] },
  ];
  for (const { model, input, shape } of cases) {
    it(`${model}: runs with plain node from its own folder and matches the interpreter`, () => {
      const out = join(work, `${model}-run`);
      const c = sluice(['compile', `examples/${model}.sluice`, '--out', out, '--json']);
      expect(c.code, c.stdout + c.stderr).toBe(0);
      const next = seededRandom(99);
      const x = Float32Array.from({ length: shape[0]! * shape[1]! }, () => next());
      writeFileSync(join(work, `${model}-x.json`), JSON.stringify([...x]));
      const script = `
        import { readFileSync } from 'node:fs';
        import { load } from './index.js';
        const x = Float32Array.from(JSON.parse(readFileSync(${JSON.stringify(join(work, `${model}-x.json`))}, 'utf8')));
        for (const threads of [1, 3]) {
          const model = await load({ threads });
          const out = await model.run({ ${JSON.stringify(input)}: { data: x, shape: ${JSON.stringify(shape)} } });
          const json = Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.shape, data: [...t.data] }]));
          process.stdout.write(JSON.stringify({ threads, outputs: json }) + '\\n');
          model.dispose();
        }`;
      writeFileSync(join(out, 'run.mjs'), script);
      const r = run(['run.mjs'], out);
      expect(r.stderr).toBe('');
      expect(r.code).toBe(0);
      const results = r.stdout.trim().split('\n').map((l) => JSON.parse(l));

      // Reference: the interpreter with the weights the package holds.
      const graph = loadModel(join(root, `examples/${model}.sluice`));
      const manifest = checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
      const weightsBin = readFileSync(join(out, 'weights.bin'));
      const weights = new Map(manifest.weights.filter((w) => graph.params.some((p) => p.attrs.name === w.name)).map((w) => [
        w.name, tensor('f32', w.shape, new Float32Array(weightsBin.buffer.slice(weightsBin.byteOffset + w.offset, weightsBin.byteOffset + w.offset + w.bytes))),
      ]));
      // The package's fixed dims (the model's defaults); the free ones come from the input.
      const fixedDims = new Map(Object.entries(manifest.stats.dims).filter(([k]) => !manifest.dims.some((d) => d.name === k)));
      const want = interpret(graph, new Map([[input, tensor('f32', shape, x)]]), weights, { dims: fixedDims }).outputs;
      for (const res of results) {
        expect(Object.keys(res.outputs).sort()).toEqual([...want.keys()].sort());
        for (const [name, t] of want) {
          expect(res.outputs[name].shape).toEqual(t.shape);
          expect(relativeL2(res.outputs[name].data, [...(t.data as Float32Array)]), `${name} with ${res.threads} threads`).toBeLessThan(1e-4);
        }
      }
      expect(results[0].outputs).toEqual(results[1].outputs);
    });
  }
});

describe('sluice compile --target webgpu', () => {
  it('writes a package that plain node loads with the webgpu package\'s GPU (no globals installed)', async () => {
    const { testGpu } = await import('../targets/wgsl/device.js');
    if (!(await testGpu())) return; // skipped without an adapter (testGpu throws under CI=true)
    const out = join(work, 'mlp-webgpu');
    const r = sluice(['compile', 'examples/mlp.sluice', '--target', 'webgpu', '--out', out, '--dim', 'B=7', '--json']);
    expect(r.code, r.stderr).toBe(0);
    const json = JSON.parse(r.stdout) as { target: string; files: { path: string }[] };
    expect(json.target).toBe('webgpu');
    const files = json.files.map((f) => f.path);
    expect(files.filter((p) => p.startsWith('wgsl/') && p.endsWith('.wgsl')).length).toBeGreaterThan(0);
    expect(files).toContain('runtime/webgpu/index.js');
    expect(files).not.toContain('runtime/wasm/index.js');
    const manifest = checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')));
    expect(manifest.target).toBe('webgpu');

    // A user's script: plain node, `create([])` passed as `gpu`, nothing assigned to globalThis.
    const x = randomTensor('f32', [7, 64], 77);
    writeFileSync(join(work, 'x.json'), JSON.stringify(Array.from(x.data as Float32Array)));
    const script = join(work, 'use-webgpu.mjs');
    writeFileSync(script, `
      import { readFileSync } from 'node:fs';
      process.env.VK_ICD_FILENAMES ??= '/usr/lib/chromium/vk_swiftshader_icd.json';
      process.env.XDG_RUNTIME_DIR ??= '/tmp';
      const { create } = await import(${JSON.stringify(join(root, 'node_modules/webgpu/index.js'))});
      const { load } = await import('./mlp-webgpu/index.js');
      const model = await load({ gpu: create([]) });
      const x = Float32Array.from(JSON.parse(readFileSync(new URL('./x.json', import.meta.url), 'utf8')));
      const out = await model.run({ x: { data: x, shape: [7, 64] } });
      process.stdout.write(JSON.stringify(Object.fromEntries(Object.entries(out).map(([k, t]) => [k, { shape: t.shape, data: Array.from(t.data) }]))));
      model.dispose();
    `);
    const used = run([script], work);
    expect(used.code, used.stderr).toBe(0);
    const got = JSON.parse(used.stdout) as Record<string, { shape: number[]; data: number[] }>;

    const graph = loadModel(join(root, 'examples/mlp.sluice'));
    const weights = new Map(manifest.weights.map((w) => {
      const bytes = readFileSync(join(out, 'weights.bin')).subarray(w.offset, w.offset + w.bytes);
      return [w.name, tensor('f32', w.shape, new Float32Array(bytes.buffer.slice(bytes.byteOffset, bytes.byteOffset + bytes.byteLength)))] as const;
    }));
    const want = interpret(graph, new Map([['x', x]]), weights, { dims: new Map([['B', 7]]) }).outputs;
    expect(Object.keys(got).sort()).toEqual(graph.outputs.map((o) => o.name).sort());
    for (const [name, t] of want) {
      expect(got[name]!.shape, name).toEqual(t.shape);
      expect(relativeL2(got[name]!.data, Array.from(t.data as Float32Array)), name).toBeLessThanOrEqual(1e-4);
    }
  }, 120_000);
});
