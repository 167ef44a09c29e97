// The machinery of the benches that run sluice's WebGPU packages and onnxruntime-web side by
// side in one headless Chromium page (bench/webgpu-vs-ort.ts, bench/attention-webgpu.ts):
// a static server on 127.0.0.1, the Chromium flags that pick SwiftShader or the machine's GPU,
// and the in-page timing helpers both pages share.

import { createReadStream, existsSync, statSync } from 'node:fs';
import { createServer } from 'node:http';
import { extname, join, normalize, resolve } from 'node:path';
import { chromium, type Browser, type Page } from 'playwright-core';

export const CHROMIUM = '/usr/bin/chromium';
const ORT_DIST = join(resolve(import.meta.dirname, '../..'), 'node_modules/onnxruntime-web/dist');
const OFFLINE_ARGS = ['--no-sandbox', '--disable-background-networking', '--disable-component-update', '--disable-sync', '--no-first-run'];
const SWIFTSHADER_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--use-vulkan=swiftshader', '--use-webgpu-adapter=swiftshader'];
const GPU_ARGS = ['--enable-unsafe-webgpu', '--enable-features=Vulkan', '--ignore-gpu-blocklist'];

/**
 * In-page JavaScript: `median(xs)`, `time(run, runs, warmup)` (awaits `run` warmup times, then
 * returns the median, min and max ms of `runs` timed calls) and `relL2(a, b)`.
 */
export const PAGE_TIMING_JS = `
  const median = (xs) => { const s = [...xs].sort((a, b) => a - b); const m = s.length >> 1; return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2; };
  async function time(run, runs, warmup) {
    for (let i = 0; i < warmup; i++) await run();
    const samples = [];
    for (let i = 0; i < runs; i++) { const t = performance.now(); await run(); samples.push(performance.now() - t); }
    return { medianMs: median(samples), minMs: Math.min(...samples), maxMs: Math.max(...samples), runs };
  }
  function relL2(a, b) {
    let num = 0, den = 0;
    for (let i = 0; i < b.length; i++) { num += (Number(a[i]) - Number(b[i])) ** 2; den += Number(b[i]) ** 2; }
    return Math.sqrt(num / Math.max(den, 1e-30));
  }
  window.adapterInfo = async () => {
    const a = navigator.gpu && await navigator.gpu.requestAdapter();
    return a ? [a.info.vendor, a.info.architecture, a.info.description].filter(Boolean).join(' / ') : null;
  };
`;

const MIME: Record<string, string> = {
  '.html': 'text/html; charset=utf-8', '.js': 'text/javascript; charset=utf-8', '.mjs': 'text/javascript; charset=utf-8',
  '.json': 'application/json', '.wasm': 'application/wasm',
};

/** Serves `folder` at / and onnxruntime-web's dist at /ort/, on 127.0.0.1. */
export async function serve(folder: string): Promise<{ url: string; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    const path = decodeURIComponent(new URL(req.url ?? '/', 'http://x').pathname);
    const [base, rel] = path.startsWith('/ort/') ? [ORT_DIST, path.slice(5)] : [folder, path.slice(1)];
    const file = normalize(join(base, rel));
    if (!file.startsWith(base) || !existsSync(file) || !statSync(file).isFile()) {
      res.writeHead(404).end();
      return;
    }
    res.writeHead(200, { 'Content-Type': MIME[extname(file)] ?? 'application/octet-stream' });
    createReadStream(file).pipe(res);
  });
  await new Promise<void>((ok) => server.listen(0, '127.0.0.1', ok));
  const address = server.address() as { port: number };
  return { url: `http://127.0.0.1:${address.port}/`, close: () => new Promise((ok) => server.close(() => ok())) };
}

export interface BenchPage {
  readonly page: Page;
  /** The WebGPU adapter the page got (vendor / architecture / description). */
  readonly adapter: string;
  close(): Promise<void>;
}

/**
 * Serves `folder` (which holds `index.html`, a page that includes PAGE_TIMING_JS and sets
 * `window.pageReady`), opens it in headless Chromium on SwiftShader (or the GPU with `gpu`)
 * and waits until it is ready and has a WebGPU adapter.
 */
export async function openBenchPage(folder: string, gpu: boolean): Promise<BenchPage> {
  if (!existsSync(CHROMIUM)) throw new Error(`${CHROMIUM} is missing (apt-get install chromium)`);
  const server = await serve(folder);
  let browser: Browser | undefined;
  const close = async () => {
    await browser?.close();
    await server.close();
  };
  try {
    browser = await chromium.launch({ executablePath: CHROMIUM, args: [...OFFLINE_ARGS, ...(gpu ? GPU_ARGS : SWIFTSHADER_ARGS)] });
    const page = await (await browser.newContext()).newPage();
    await page.goto(`${server.url}index.html`);
    await page.waitForFunction(() => (globalThis as { pageReady?: boolean }).pageReady === true);
    const adapter = await page.evaluate(() => (globalThis as unknown as { adapterInfo(): Promise<string | null> }).adapterInfo());
    if (adapter === null) throw new Error('Chromium has no WebGPU adapter here');
    return { page, adapter, close };
  } catch (e) {
    await close();
    throw e;
  }
}
