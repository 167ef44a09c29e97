// WebGPU packages in a real headless browser: Chromium (playwright-core) with WebGPU on
// SwiftShader's Vulkan (a CPU implementation, so no GPU is needed). Each package is compiled
// with `--target webgpu`, served with a test page from a local static server, loaded through its
// own index.js on navigator.gpu, and its outputs are checked against the Graph IR interpreter.
//
// A package ships the built runtime (dist/runtime): run `npm run build` after any change to
// runtime/ (npm test builds first); a stale build is reported as such. Nothing reaches the
// network (127.0.0.1, background services off). Without Chromium or without a WebGPU adapter
// the test is skipped, saying why, except under CI=true, where either fails.

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { compile } from '../../../index.js';
import type { WebGpuCompilation } from '../../../compiler/driver/compile-webgpu.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { relativeL2 } from '../../helpers/close.js';
import { randomTensor } from '../../helpers/random.js';
import { serveFolder, type StaticServer } from '../wasm/static-server.js';

const CHROMIUM = '/usr/bin/chromium';
/** WebGPU on SwiftShader's Vulkan, plus the flags that keep Chromium off the network. */
const WEBGPU_CHROMIUM_ARGS = [
  '--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run',
  '--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader',
];
const MISSING_CHROMIUM = `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
const TOLERANCE = 1e-4;

const repo = resolve(import.meta.dirname, '../../..');
const haveChromium = existsSync(CHROMIUM);

// The page: `adapterInfo` says whether WebGPU has an adapter here; `runPackage` loads a
// package by its index.js (navigator.gpu), runs it on inputs given as plain arrays and returns
// the outputs as plain arrays.
const TEST_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sluice webgpu browser test</title>
<link rel="icon" href="data:,">
<script type="module">
  window.adapterInfo = async () => {
    if (!navigator.gpu) return { error: 'no navigator.gpu (secure context: ' + isSecureContext + ')' };
    const adapter = await navigator.gpu.requestAdapter();
    if (!adapter) return { error: 'navigator.gpu.requestAdapter() gave no adapter' };
    return { vendor: adapter.info?.vendor ?? '', architecture: adapter.info?.architecture ?? '' };
  };
  window.runPackage = async ({ pkg, runs }) => {
    const { load } = await import('./' + pkg + '/index.js');
    const model = await load();
    try {
      const results = [];
      for (const inputs of runs) {
        const given = {};
        for (const [name, t] of Object.entries(inputs)) given[name] = { data: Float32Array.from(t.data), shape: t.shape };
        const outputs = {};
        for (const [name, t] of Object.entries(await model.run(given))) outputs[name] = { data: Array.from(t.data), shape: t.shape };
        results.push(outputs);
      }
      return { f16: model.f16, results };
    } finally {
      model.dispose();
    }
  };
  window.pageReady = true;
</script>
`;

interface PackageUnderTest {
  readonly folder: string;
  readonly graph: Graph;
  readonly compiled: WebGpuCompilation;
  readonly symbol: string;
  readonly sizes: readonly number[];
}

interface PageResult {
  readonly f16: boolean;
  readonly results: Record<string, { data: number[]; shape: number[] }>[];
}

let root = '';
let browser: Browser | undefined;
let server: StaticServer | undefined;
const packages: PackageUnderTest[] = [];

function compilePackage(file: string, folder: string, symbol: string, sizes: readonly number[], dims: Record<string, number>): PackageUnderTest {
  const model = compile(join(repo, 'examples', file), { target: 'webgpu', out: join(root, folder), seed: 13, dims });
  return { folder, graph: model.graph, compiled: model.webgpu!, symbol, sizes };
}

/** The weights as the package holds them (read back from weights.bin). */
function packagedWeights(c: WebGpuCompilation): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const w of c.manifest.weights) {
    if (w.dtype !== 'f32') throw new Error(`test: weight ${w.name} is ${w.dtype}`);
    weights.set(w.name, tensor('f32', w.shape, new Float32Array(c.weights.slice(w.offset, w.offset + w.bytes).buffer)));
  }
  return weights;
}

async function runAndCheck(page: Page, p: PackageUnderTest, seed: number): Promise<PageResult> {
  const runs = p.sizes.map((size, run) => {
    const env = new Map([...p.compiled.dims, [p.symbol, size]]);
    return new Map(p.graph.inputs.map((input, i) => [input.attrs.name, randomTensor('f32', input.shape.map((d) => evalDim(d, env)), seed + 100 * run + i)]));
  });
  const asJson = runs.map((inputs) => Object.fromEntries([...inputs].map(([name, t]) => [name, { data: toNumbers(t), shape: [...t.shape] }])));
  const result = await page.evaluate(
    (arg) => (globalThis as unknown as { runPackage(a: unknown): Promise<PageResult> }).runPackage(arg),
    { pkg: p.folder, runs: asJson },
  );
  const weights = packagedWeights(p.compiled);
  runs.forEach((inputs, i) => {
    const size = p.sizes[i]!;
    const want = interpret(p.graph, inputs, weights, { dims: new Map([...p.compiled.fixedDims, [p.symbol, size]]) });
    for (const o of p.graph.outputs) {
      const got = result.results[i]![o.name]!;
      const expected = want.outputs.get(o.name)!;
      const label = `${p.folder} output ${o.name} at ${p.symbol}=${size}`;
      expect(got.shape, label).toEqual(expected.shape);
      expect(relativeL2(got.data, toNumbers(expected)), label).toBeLessThanOrEqual(TOLERANCE);
    }
  });
  return result;
}

/** Runtime sources newer than their build in dist/, which packages copy. */
function staleRuntimeBuild(): string[] {
  const stale: string[] = [];
  const visit = (dir: string): void => {
    for (const entry of readdirSync(join(repo, dir), { withFileTypes: true })) {
      const rel = join(dir, entry.name);
      if (entry.isDirectory()) visit(rel);
      else if (rel.endsWith('.ts') && !rel.endsWith('.d.ts')) {
        const built = join(repo, 'dist', rel.replace(/\.ts$/, '.js'));
        if (!existsSync(built) || statSync(built).mtimeMs < statSync(join(repo, rel)).mtimeMs) stale.push(rel);
      }
    }
  };
  visit('runtime');
  return stale;
}

/** Skips (with the reason) where Chromium or its WebGPU adapter is missing, except under CI. */
function need(ctx: TestContext, missing: string | undefined): void {
  if (missing === undefined) return;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${missing}`);
  ctx.skip(missing);
}

beforeAll(async () => {
  if (!haveChromium) return;
  const stale = staleRuntimeBuild();
  if (stale.length) throw new Error(`the built runtime in dist/ is older than ${stale.join(', ')}: run npm run build (packages ship dist/runtime)`);
  root = mkdtempSync(join(tmpdir(), 'sluice-webgpu-browser-'));
  writeFileSync(join(root, 'page.html'), TEST_PAGE);
  packages.push(compilePackage('mlp.sluice', 'mlp', 'B', [7, 1, 129], {}));
  packages.push(compilePackage('transformer-block.sluice', 'block', 'S', [1, 7, 33], { D: 64, H: 4, KV: 2, F: 96 }));
  server = await serveFolder(root);
  browser = await chromium.launch({ executablePath: CHROMIUM, args: WEBGPU_CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await server?.close();
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a webgpu package in headless Chromium', () => {
  it('loads through navigator.gpu on SwiftShader and matches the interpreter', async (ctx) => {
    need(ctx, haveChromium ? undefined : `no headless browser: ${MISSING_CHROMIUM}`);
    const context = await browser!.newContext();
    const page = await context.newPage();
    const errors: string[] = [];
    page.on('console', (m) => { if (m.type() === 'error') errors.push(m.text()); });
    page.on('pageerror', (e) => errors.push(e.message));
    await page.goto(`${server!.url}page.html`);
    await page.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
    const adapter = await page.evaluate(() => (globalThis as unknown as { adapterInfo(): Promise<{ error?: string }> }).adapterInfo());
    need(ctx, adapter.error === undefined ? undefined : `no WebGPU adapter in Chromium: ${adapter.error}`);
    for (const [i, p] of packages.entries()) {
      const result = await runAndCheck(page, p, 4000 + 10 * i);
      expect(typeof result.f16).toBe('boolean');
    }
    expect(errors).toEqual([]);
    expect(server!.missing).toEqual([]);
    await context.close();
  }, 300_000);
});
