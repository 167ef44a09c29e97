// The small text files of a generated package: package.json, index.js and index.d.ts. They
// are written from the manifest, so the types name the model's own inputs and outputs.

import type { Manifest, ManifestDType, ManifestTensor } from '../../runtime/manifest.js';
import { PACKAGE_FILES } from './build-manifest.js';

/** The typed array the runtime exchanges for each dtype (runtime/wasm). */
export const ARRAY_TYPE: Readonly<Record<ManifestDType, string>> = {
  f64: 'Float64Array', f32: 'Float32Array', f16: 'Float32Array', bf16: 'Float32Array',
  i64: 'BigInt64Array', i32: 'Int32Array', i16: 'Int16Array', i8: 'Int8Array',
  u64: 'BigUint64Array', u32: 'Uint32Array', u16: 'Uint16Array', u8: 'Uint8Array',
  bool: 'Uint8Array',
};

/** Text safe inside a line or block comment (model and dim names come from ONNX files). */
export function commentText(text: string): string {
  return text.replace(/[\r\n\u2028\u2029]+/g, ' ').replace(/\*\//g, '* /');
}

/** Inputs of f16/bf16 may also be given as raw 16-bit patterns. */
export function inputArrayType(dtype: ManifestDType): string {
  return dtype === 'f16' || dtype === 'bf16' ? 'Float32Array | Uint16Array' : ARRAY_TYPE[dtype];
}

/** An npm package name from a model name: `TransformerBlock` → `transformer-block`. */
export function packageNameFor(model: string): string {
  const kebab = model
    .replace(/([a-z0-9])([A-Z])/g, '$1-$2')
    .toLowerCase()
    .replace(/[^a-z0-9._-]+/g, '-')
    .replace(/^[._-]+|-+$/g, '')
    .slice(0, 200);
  return kebab || 'sluice-model';
}

export interface PackageJsonOptions {
  readonly name?: string;
  readonly version?: string;
  readonly sluiceVersion: string;
  readonly files: readonly string[];
}

export function printPackageJson(manifest: Manifest, o: PackageJsonOptions): string {
  const pkg = {
    name: o.name ?? packageNameFor(manifest.model),
    version: o.version ?? '0.1.0',
    description: `${manifest.model}, compiled by sluice ${o.sluiceVersion} for ${manifest.target === 'webgpu' ? 'WebGPU' : 'WebAssembly'}`,
    type: 'module',
    main: 'index.js',
    types: 'index.d.ts',
    exports: { '.': { types: './index.d.ts', default: './index.js' } },
    files: o.files,
    sideEffects: false,
    engines: { node: '>=20' },
    sluice: { model: manifest.model, target: manifest.target, manifestVersion: manifest.version },
  };
  return `${JSON.stringify(pkg, null, 2)}\n`;
}

export function printIndexJs(manifest: Manifest): string {
  const files = {
    manifest: 'manifest.json',
    module: PACKAGE_FILES.module,
    weights: PACKAGE_FILES.weights,
    ...(manifest.files.relaxedModule ? { relaxedModule: manifest.files.relaxedModule } : {}),
  };
  return `// ${commentText(manifest.model)}, compiled by sluice for WebAssembly. Generated file.
//
//   import { load } from './index.js';
//   const model = await load();                 // options: { threads }
//   const outputs = await model.run({ ${commentText(manifest.inputs.map((i) => `${JSON.stringify(i.name)}: ...`).join(', '))} });
//
// Files are read next to this one: from disk in Node, with fetch elsewhere.

import { loadModel } from './runtime/wasm/index.js';

const FILES = ${JSON.stringify(files)};

async function readPackageFile(name) {
  const url = new URL(name, import.meta.url);
  if (url.protocol === 'file:') {
    const { readFile } = await import('node:fs/promises');
    return new Uint8Array(await readFile(url));
  }
  const response = await fetch(url);
  if (!response.ok) throw new Error(\`cannot fetch \${url}: \${response.status} \${response.statusText}\`);
  return new Uint8Array(await response.arrayBuffer());
}

/** Loads the model: reads manifest.json, the module and the weights, and starts the runtime. */
export async function load(options = {}) {
  const [manifestBytes, wasm, weights, relaxedWasm] = await Promise.all(
    [FILES.manifest, FILES.module, FILES.weights, FILES.relaxedModule].map((f) => (f === undefined ? undefined : readPackageFile(f))),
  );
  const manifest = JSON.parse(new TextDecoder().decode(manifestBytes));
  return loadModel({ ...options, manifest, wasm, weights, ...(relaxedWasm ? { relaxedWasm } : {}) });
}

export const modelName = ${JSON.stringify(manifest.model)};
export const inputNames = ${JSON.stringify(manifest.inputs.map((i) => i.name))};
export const outputNames = ${JSON.stringify(manifest.outputs.map((o) => o.name))};
`;
}

export function shapeText(t: ManifestTensor): string {
  const dim = (d: ManifestTensor['shape'][number]): string => (typeof d === 'object' ? 'expr' : String(d));
  return commentText(`${t.dtype}[${t.shape.map(dim).join(', ')}]`);
}

/**
 * The header line naming the symbolic dims, and the typed Inputs, Outputs and OutputTensor
 * declarations every package's index.d.ts starts with (wasm and webgpu alike).
 */
export function ioDeclarations(manifest: Manifest): { dimsLine: string; types: string } {
  const input = (t: ManifestTensor) => {
    const array = inputArrayType(t.dtype);
    return `  /** ${shapeText(t)} */\n  readonly ${JSON.stringify(t.name)}: ${array} | { readonly data: ${array}; readonly shape: readonly number[] };`;
  };
  const output = (t: ManifestTensor) =>
    `  /** ${shapeText(t)} */\n  readonly ${JSON.stringify(t.name)}: OutputTensor<${ARRAY_TYPE[t.dtype]}, ${JSON.stringify(t.dtype)}>;`;
  const dims = manifest.dims.map((d) => `${d.name}${d.default === undefined ? '' : `=${d.default}`}`).join(', ') || 'none';
  return {
    dimsLine: `// Symbolic dims: ${commentText(dims)}.`,
    types: `export interface OutputTensor<A, D extends string> {
  readonly data: A;
  readonly shape: readonly number[];
  readonly dtype: D;
}

export interface Inputs {
${manifest.inputs.map(input).join('\n')}
}

export interface Outputs {
${manifest.outputs.map(output).join('\n')}
}
`,
  };
}

export function printIndexDts(manifest: Manifest): string {
  const { dimsLine, types } = ioDeclarations(manifest);
  return `// ${commentText(manifest.model)}, compiled by sluice for WebAssembly. Generated file.
${dimsLine}

${types}
export interface LoadOptions {
  /** Worker threads (default: the available cores, at most 8); 1 runs on the calling thread alone. */
  readonly threads?: number;
}

export interface Model {
  /** Threads that run kernels, the calling one included. */
  readonly threads: number;
  /**
   * Runs the model; every input's dtype and shape is checked against the manifest. \`dims\`
   * gives symbols that no input shape fixes.
   */
  run(inputs: Inputs, options?: { readonly dims?: Readonly<Record<string, number>> }): Promise<Outputs>;
  /** Zeroes the state buffers (KV caches) that persist between runs. */
  resetState(): void;
  /** Stops the worker threads and frees the memory. */
  dispose(): void;
}

export declare function load(options?: LoadOptions): Promise<Model>;
export declare const modelName: string;
export declare const inputNames: readonly string[];
export declare const outputNames: readonly string[];
`;
}
