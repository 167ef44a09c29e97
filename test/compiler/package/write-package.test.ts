import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync, existsSync } from 'node:fs';
import { spawnSync } from 'node:child_process';
import { tmpdir } from 'node:os';
import { pathToFileURL } from 'node:url';
import { dirname, join } from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { buildManifest } from '../../../compiler/package/build-manifest.js';
import { packageNameFor } from '../../../compiler/package/package-sources.js';
import { packWeights } from '../../../compiler/package/pack-weights.js';
import { runtimeFiles } from '../../../compiler/package/runtime-files.js';
import { writePackage } from '../../../compiler/package/write-package.js';
import { planMemory } from '../../../compiler/schedule/memory-plan.js';
import { checkManifest } from '../../../runtime/manifest.js';
import { biasProgram } from '../../helpers/hand-program.js';
import { randomTensor } from '../../helpers/random.js';

const root = mkdtempSync(join(tmpdir(), 'sluice-package-'));
afterAll(() => rmSync(root, { recursive: true, force: true }));

/** A stand-in for dist/: a runtime whose entry imports shared files and names a worker by URL. */
function fakeRuntimeBase(extra: Record<string, string> = {}): string {
  const base = mkdtempSync(join(root, 'dist-'));
  const files: Record<string, string> = {
    'runtime/wasm/index.js': "import { checkManifest } from '../manifest.js';\nimport { Worker } from 'node:worker_threads';\nexport const w = new URL('./worker.js', import.meta.url);\nexport async function loadModel() {}\n",
    'runtime/wasm/worker.js': "import { evalDimJson } from '../dim-eval.js';\n",
    'runtime/manifest.js': 'export function checkManifest() {}\n',
    'runtime/dim-eval.js': "import './manifest.js';\nexport function evalDimJson() {}\n",
    'runtime/webgpu/index.js': '// not for wasm packages\n',
    ...extra,
  };
  for (const [path, text] of Object.entries(files)) {
    mkdirSync(dirname(join(base, path)), { recursive: true });
    writeFileSync(join(base, path), text);
  }
  return base;
}

function biasContents() {
  const program = biasProgram();
  const plan = planMemory(program);
  const b = randomTensor('f32', [8], 5);
  const { bin, entries } = packWeights(program, plan, new Map([['b', b]]));
  const manifest = buildManifest({ program, plan, weights: entries, statsDims: new Map([['S', 16]]) });
  return { manifest, wasm: new Uint8Array([0, 97, 115, 109, 1, 0, 0, 0]), weights: bin, b };
}

describe('writePackage', () => {
  it('writes a self-contained package with the runtime it needs and nothing more', () => {
    const out = join(root, 'bias');
    const contents = biasContents();
    const written = writePackage(contents, out, { runtimeBase: fakeRuntimeBase() });
    expect(written.files.map((f) => f.path).sort()).toEqual([
      'index.d.ts', 'index.js', 'manifest.json', 'model.wasm', 'package.json',
      'runtime/dim-eval.js', 'runtime/manifest.js', 'runtime/wasm/index.js', 'runtime/wasm/worker.js', 'weights.bin',
    ]);
    expect(written.bytes).toBe(written.files.reduce((n, f) => n + f.bytes, 0));

    const pkg = JSON.parse(readFileSync(join(out, 'package.json'), 'utf8'));
    expect(pkg).toMatchObject({ name: 'bias', type: 'module', main: 'index.js', types: 'index.d.ts' });
    expect(pkg.dependencies).toBeUndefined();
    expect(checkManifest(JSON.parse(readFileSync(join(out, 'manifest.json'), 'utf8')))).toEqual(contents.manifest);
    const bin = readFileSync(join(out, 'weights.bin'));
    expect([...new Float32Array(bin.buffer, bin.byteOffset, 8)]).toEqual([...(contents.b.data as Float32Array)]);

    const dts = readFileSync(join(out, 'index.d.ts'), 'utf8');
    expect(dts).toContain('readonly "x": Float32Array | { readonly data: Float32Array; readonly shape: readonly number[] };');
    expect(dts).toContain('readonly "y": OutputTensor<Float32Array, "f32">;');
    expect(dts).toContain('/** f32[S, 8] */');
    expect(readFileSync(join(out, 'index.js'), 'utf8')).toContain("import { loadModel } from './runtime/wasm/index.js';");
  });

  it('rewrites its own package but refuses a folder holding something else', () => {
    const out = join(root, 'again');
    const base = fakeRuntimeBase();
    writePackage(biasContents(), out, { runtimeBase: base });
    writeFileSync(join(out, 'runtime', 'stale.js'), '');
    writePackage(biasContents(), out, { runtimeBase: base });
    expect(existsSync(join(out, 'runtime', 'stale.js'))).toBe(false);

    const other = join(root, 'other');
    mkdirSync(other);
    writeFileSync(join(other, 'notes.txt'), 'mine');
    expect(() => writePackage(biasContents(), other, { runtimeBase: base })).toThrow(DiagnosticError);
    expect(() => writePackage(biasContents(), other, { runtimeBase: base })).toThrow(/not empty and does not hold a sluice package/);
  });

  it('refuses a runtime that would need a dependency', () => {
    const base = fakeRuntimeBase({ 'runtime/wasm/extra.js': "import lodash from 'lodash';\n" });
    expect(() => runtimeFiles(base)).toThrow(/imports 'lodash'/);
  });

  it('keeps generated sources valid whatever the model and tensor names are', async () => {
    const contents = biasContents();
    const odd = {
      ...contents.manifest,
      model: 'evil */ model\nname',
      inputs: contents.manifest.inputs.map((t) => ({ ...t, name: "input.1 */'\"" })),
    };
    const out = join(root, 'odd');
    writePackage({ ...contents, manifest: odd }, out, { runtimeBase: fakeRuntimeBase() });
    const check = spawnSync(process.execPath, ['--check', join(out, 'index.js')], { encoding: 'utf8' });
    expect(check.stderr).toBe('');
    const mod = await import(pathToFileURL(join(out, 'index.js')).href);
    expect(mod.modelName).toBe('evil */ model\nname');
    expect(mod.inputNames).toEqual(["input.1 */'\""]);
    expect(readFileSync(join(out, 'index.d.ts'), 'utf8')).toContain('readonly "input.1 */\'\\"": Float32Array');
  });

  it('names packages after their models', () => {
    expect(packageNameFor('MLP')).toBe('mlp');
    expect(packageNameFor('TransformerBlock')).toBe('transformer-block');
    expect(packageNameFor('torch_jit export!')).toBe('torch_jit-export');
    expect(packageNameFor('!!!')).toBe('sluice-model');
  });
});
