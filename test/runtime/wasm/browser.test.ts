// Compiled packages in a real headless browser (Chromium through playwright-core). Each
// package is served, with a small test page, from a local static server, and the page imports
// its index.js as an ES module; the outputs are checked against the Graph IR interpreter.
// Three pages: one cross-origin isolated (COOP/COEP headers; the runtime must use its Web
// Workers on a shared memory), one not (one thread, said once on the console however many
// packages the page loads), and one isolated but with a CSP that forbids blob: workers.
//
// A package ships the built runtime (dist/runtime), so this test needs `npm run build` after
// any change to runtime/ (npm test builds first); a stale build is reported as such.
//
// Nothing reaches the network: the server listens on 127.0.0.1 and Chromium runs with its
// background services off. Under CI=true a missing Chromium fails the test; elsewhere the
// tests are skipped, saying why.

import { existsSync, mkdtempSync, readdirSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';
import { afterAll, beforeAll, describe, expect, it, type TestContext } from 'vitest';
import { compile } from '../../../index.js';
import type { WasmCompilation } from '../../../compiler/driver/compile-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';
import { serveFolder, type StaticServer } from './static-server.js';

const CHROMIUM = '/usr/bin/chromium';
const CHROMIUM_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run', '--disable-gpu'];
const MISSING_CHROMIUM = `${CHROMIUM} is missing (apt-get install chromium; .ci/run installs it)`;
const ISOLATION_HEADERS = { 'Cross-Origin-Opener-Policy': 'same-origin', 'Cross-Origin-Embedder-Policy': 'require-corp' };
/** A policy that lets the page's own scripts run but no worker from a blob: URL. */
const NO_BLOB_WORKERS = { 'Content-Security-Policy': "worker-src 'self'" };
const TOLERANCE = 1e-5;

const repo = resolve(import.meta.dirname, '../../..');
const haveChromium = existsSync(CHROMIUM);

// The page: `runPackage` loads a package, runs it on inputs given as plain arrays (what
// page.evaluate can carry), and returns the outputs as plain arrays. parallelMinBytes: 0 sends
// every dispatch with more than one item to the workers, however small the test sizes are.
const TEST_PAGE = `<!doctype html>
<meta charset="utf-8">
<title>sluice browser test</title>
<link rel="icon" href="data:,">
<script type="module">
  window.runPackage = async ({ pkg, threads, runs }) => {
    const { load } = await import('./' + pkg + '/index.js');
    // The runtime prefers the relaxed-SIMD module wherever the engine validates it.
    const manifest = await (await fetch('./' + pkg + '/manifest.json')).json();
    const relaxed = manifest.files.relaxedModule;
    const relaxedValidates = relaxed === undefined ? undefined : WebAssembly.validate(await (await fetch('./' + pkg + '/' + relaxed)).arrayBuffer());
    const model = await load({ threads, parallelMinBytes: 0 });
    try {
      const results = [];
      for (const inputs of runs) {
        const given = {};
        for (const [name, t] of Object.entries(inputs)) given[name] = { data: Float32Array.from(t.data), shape: t.shape };
        const outputs = {};
        for (const [name, t] of Object.entries(await model.run(given))) outputs[name] = { data: Array.from(t.data), shape: t.shape };
        results.push(outputs);
      }
      return { threads: model.threads, sharedMemory: model.sharedMemory, crossOriginIsolated: self.crossOriginIsolated, relaxedValidates, results };
    } finally {
      model.dispose();
    }
  };
  window.pageReady = true;
</script>
`;

interface PackageUnderTest {
  /** Folder name under the served root. */
  readonly folder: string;
  readonly graph: Graph;
  readonly compiled: WasmCompilation;
  /** The symbol the runs vary, and its values. */
  readonly symbol: string;
  readonly sizes: readonly number[];
  readonly relaxedSimd: boolean;
}

interface PageResult {
  readonly threads: number;
  readonly sharedMemory: boolean;
  readonly crossOriginIsolated: boolean;
  /** Whether the browser validates the package's relaxed-SIMD module (undefined: it has none). */
  readonly relaxedValidates: boolean | undefined;
  readonly results: Record<string, { data: number[]; shape: number[] }>[];
}

type Runs = Record<string, { data: number[]; shape: number[] }>[];

let root = '';
let browser: Browser | undefined;
const servers: StaticServer[] = [];
const packages: PackageUnderTest[] = [];

function compilePackage(file: string, folder: string, symbol: string, sizes: readonly number[], dims: Record<string, number>, relaxedSimd: boolean): PackageUnderTest {
  const out = join(root, folder);
  const model = compile(join(repo, 'examples', file), { target: 'wasm', out, seed: 11, dims, relaxedSimd });
  return { folder, graph: model.graph, compiled: model.wasm!, symbol, sizes, relaxedSimd };
}

/** The weights as the package holds them (read back from weights.bin). */
function packagedWeights(c: WasmCompilation): Map<string, Tensor> {
  const weights = new Map<string, Tensor>();
  for (const w of c.manifest.weights) {
    if (w.dtype !== 'f32') throw new Error(`test: weight ${w.name} is ${w.dtype}`);
    weights.set(w.name, tensor('f32', w.shape, new Float32Array(c.weights.slice(w.offset, w.offset + w.bytes).buffer)));
  }
  return weights;
}

/** Fresh random inputs for each size of the package's symbol. */
function randomRuns(p: PackageUnderTest, seed: number): Map<string, Tensor>[] {
  return p.sizes.map((size, run) => {
    const env = new Map([...p.compiled.dims, [p.symbol, size]]);
    return new Map(p.graph.inputs.map((input, i) => [
      input.attrs.name,
      randomTensor('f32', input.shape.map((d) => evalDim(d, env)), seed + 100 * run + i),
    ]));
  });
}

function relL2(actual: readonly number[], expected: readonly number[]): number {
  let num = 0, den = 0;
  for (let i = 0; i < expected.length; i++) {
    num += (actual[i]! - expected[i]!) ** 2;
    den += expected[i]! ** 2;
  }
  return Math.sqrt(num / Math.max(den, 1e-30));
}

/** Runs the package in the page and checks every output of every run against the interpreter. */
async function runAndCheck(page: Page, p: PackageUnderTest, threads: number, seed: number): Promise<PageResult> {
  const runs = randomRuns(p, seed);
  const asJson: Runs = runs.map((inputs) => Object.fromEntries([...inputs].map(([name, t]) => [name, { data: toNumbers(t), shape: [...t.shape] }])));
  const result = await page.evaluate(
    (arg) => (globalThis as unknown as { runPackage(a: unknown): Promise<PageResult> }).runPackage(arg),
    { pkg: p.folder, threads, runs: asJson },
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
      expect(relL2(got.data, toNumbers(expected)), label).toBeLessThanOrEqual(TOLERANCE);
    }
  });
  return result;
}

interface OpenedPage {
  readonly page: Page;
  readonly warnings: string[];
  readonly errors: string[];
}

async function openPage(server: StaticServer): Promise<OpenedPage> {
  const context = await browser!.newContext();
  const page = await context.newPage();
  const warnings: string[] = [];
  const errors: string[] = [];
  page.on('console', (m) => {
    if (m.type() === 'warning') warnings.push(m.text());
    if (m.type() === 'error') errors.push(m.text());
  });
  page.on('pageerror', (e) => errors.push(e.message));
  await page.goto(`${server.url}page.html`);
  await page.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
  return { page, warnings, errors };
}

/** Skips (with the reason) where Chromium is missing, except under CI, where that fails. */
function needBrowser(ctx: TestContext): void {
  if (haveChromium) return;
  if (process.env.CI === 'true') throw new Error(`CI=true but ${MISSING_CHROMIUM}`);
  ctx.skip(`no headless browser: ${MISSING_CHROMIUM}`);
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

beforeAll(async () => {
  if (!haveChromium) return;
  const stale = staleRuntimeBuild();
  if (stale.length) throw new Error(`the built runtime in dist/ is older than ${stale.join(', ')}: run npm run build (packages ship dist/runtime)`);
  root = mkdtempSync(join(tmpdir(), 'sluice-browser-'));
  writeFileSync(join(root, 'page.html'), TEST_PAGE);
  // The block also ships a relaxed-SIMD module, which the runtime picks where the engine
  // validates it (Chromium does): its fused multiply-add must stay within the tolerance too.
  packages.push(compilePackage('mlp.sluice', 'mlp', 'B', [7, 1, 129], {}, false));
  packages.push(compilePackage('transformer-block.sluice', 'block', 'S', [1, 7, 33], { D: 64, H: 4, KV: 2, F: 96 }, true));
  servers.push(await serveFolder(root, ISOLATION_HEADERS), await serveFolder(root), await serveFolder(root, { ...ISOLATION_HEADERS, ...NO_BLOB_WORKERS }));
  browser = await chromium.launch({ executablePath: CHROMIUM, args: CHROMIUM_ARGS });
}, 180_000);

afterAll(async () => {
  await browser?.close();
  await Promise.all(servers.map((s) => s.close()));
  if (root) rmSync(root, { recursive: true, force: true });
});

describe('a compiled package in headless Chromium', () => {
  it('runs on two threads in a cross-origin isolated page and matches the interpreter', async (ctx) => {
    needBrowser(ctx);
    const { page, warnings, errors } = await openPage(servers[0]!);
    for (const [i, p] of packages.entries()) {
      const result = await runAndCheck(page, p, 2, 1000 + i);
      expect(result.crossOriginIsolated).toBe(true);
      expect(result.sharedMemory).toBe(true);
      expect(result.threads).toBe(2);
      expect(result.relaxedValidates).toBe(p.relaxedSimd ? true : undefined);
    }
    expect(warnings).toEqual([]);
    expect(errors).toEqual([]);
    expect(servers[0]!.missing).toEqual([]);
    await page.context().close();
  });

  it('runs on one thread without isolation, says so once, and matches the interpreter', async (ctx) => {
    needBrowser(ctx);
    const { page, warnings, errors } = await openPage(servers[1]!);
    for (const [i, p] of packages.entries()) {
      const result = await runAndCheck(page, p, 2, 2000 + i);
      expect(result.crossOriginIsolated).toBe(false);
      expect(result.sharedMemory).toBe(false);
      expect(result.threads).toBe(1);
      expect(result.relaxedValidates).toBe(p.relaxedSimd ? true : undefined);
    }
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/not cross-origin isolated/);
    expect(errors).toEqual([]);
    expect(servers[1]!.missing).toEqual([]);
    await page.context().close();
  });

  it('runs on one thread, saying why, where a content security policy forbids blob: workers', async (ctx) => {
    needBrowser(ctx);
    const { page, warnings, errors } = await openPage(servers[2]!);
    const result = await runAndCheck(page, packages[0]!, 2, 3000);
    expect(result.crossOriginIsolated).toBe(true);
    expect(result.sharedMemory).toBe(true);
    expect(result.threads).toBe(1);
    expect(warnings).toHaveLength(1);
    expect(warnings[0]).toMatch(/worker threads could not start \(.*Content-Security-Policy.*\); running on one thread/);
    expect(errors.filter((e) => !/Content Security Policy/.test(e))).toEqual([]);
    await page.context().close();
  });
});
