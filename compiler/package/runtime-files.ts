// Finding the runtime a package ships: the built JavaScript of its target's runtime
// (dist/runtime/wasm or dist/runtime/webgpu) and every file it imports, followed through relative imports, so a package holds what the
// runtime needs and nothing more. A bare import other than `node:` builtins would need a
// dependency, which packages never have: that is a bug in the runtime, reported as such.

import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';

/** The sluice installation's root: the nearest folder above this file with sluice's package.json. */
export function sluiceRoot(): string {
  let dir = dirname(fileURLToPath(import.meta.url));
  for (;;) {
    const pkg = join(dir, 'package.json');
    if (existsSync(pkg)) {
      try {
        if ((JSON.parse(readFileSync(pkg, 'utf8')) as { name?: string }).name === 'sluice') return dir;
      } catch {
        // not ours; keep going up
      }
    }
    const up = dirname(dir);
    if (up === dir) throw new Error('cannot find the sluice installation (no package.json named sluice above the compiler)');
    dir = up;
  }
}

export function sluiceVersion(): string {
  return (JSON.parse(readFileSync(join(sluiceRoot(), 'package.json'), 'utf8')) as { version: string }).version;
}

/** The folder holding the built `runtime/` (dist/). */
export function defaultRuntimeBase(): string {
  return join(sluiceRoot(), 'dist');
}

// Module specifiers in compiled JavaScript: static imports and re-exports (statements start a
// line; their clause may span lines), dynamic imports, and files named by `new URL(…, import.meta.url)`.
const IMPORT_PATTERNS = [
  /^\s*(?:import|export)\b[^;'"]*?\bfrom\s*['"]([^'"]+)['"]/gm,
  /^\s*import\s*['"]([^'"]+)['"]/gm,
  /\bimport\(\s*['"]([^'"]+)['"]\s*\)/g,
  /new\s+URL\(\s*['"]([^'"]+)['"]\s*,\s*import\.meta\.url\s*\)/g,
];

function importsOf(source: string): string[] {
  const out: string[] = [];
  for (const re of IMPORT_PATTERNS) for (const m of source.matchAll(re)) out.push(m[1]!);
  return out;
}

function jsFilesUnder(dir: string): string[] {
  const out: string[] = [];
  for (const entry of readdirSync(dir)) {
    const path = join(dir, entry);
    if (statSync(path).isDirectory()) out.push(...jsFilesUnder(path));
    else if (entry.endsWith('.js')) out.push(path);
  }
  return out;
}

/**
 * Paths (relative to `base`, with `/`) of the runtime files a package needs: everything under
 * base/runtime/RUNTIME and what those files import, transitively.
 */
export function runtimeFiles(base: string, runtime: 'wasm' | 'webgpu' = 'wasm'): string[] {
  const entry = join(base, 'runtime', runtime);
  if (!existsSync(join(entry, 'index.js'))) {
    throw new Error(`the ${runtime === 'wasm' ? 'WebAssembly' : 'WebGPU'} runtime is not built: ${join(entry, 'index.js')} is missing (run npm run build)`);
  }
  const seen = new Set<string>();
  const queue = jsFilesUnder(entry);
  while (queue.length) {
    const file = queue.pop()!;
    if (seen.has(file)) continue;
    seen.add(file);
    for (const spec of importsOf(readFileSync(file, 'utf8'))) {
      if (spec.startsWith('node:')) continue;
      if (!spec.startsWith('.')) throw new Error(`runtime file ${file} imports '${spec}', which a package cannot ship (packages have no dependencies)`);
      const target = resolve(dirname(file), spec);
      const rel = relative(base, target);
      if (rel.startsWith('..')) throw new Error(`runtime file ${file} imports ${target}, outside ${base}`);
      if (!existsSync(target)) throw new Error(`runtime file ${file} imports ${target}, which does not exist`);
      if (target.endsWith('.js')) queue.push(target);
      else seen.add(target);
    }
  }
  return [...seen].map((f) => relative(base, f).split(sep).join('/')).sort();
}
