// One Kernel IR kernel → one WGSL module (entry point = the kernel's name). The binding ABI
// with runtime/webgpu: @group(0) @binding(0) is the uniform struct `Uniforms` (i32 fields in
// `kernel.uniforms` order, only when the kernel has uniforms), @binding(1 + k) buffer k of
// `kernel.buffers` as `array<T>` (storage.ts), `read` when its access is 'read'. The grid is
// flattened: the runtime launches the product of the grid extents as workgroups over
// x (≤ 65535) and y, and the shader unravels the linear workgroup index (dialect.ts).

import type { Kernel, ScalarType, Stmt } from '../../compiler/kernel/ir.js';
import { computeTypeOf, elemOf, vectorOf, type VectorElem, type Lanes } from '../../compiler/kernel/ir.js';
import { CodeWriter, kernelContext, writeStmts } from '../c-style/index.js';
import { createWgslDialect, LINEAR_WORKGROUP, LOCAL_ID, SUBGROUP_SIZE, WgslUnsupportedError, type WgslDialectInternals } from './dialect.js';
import { wgslIdentifier } from './identifiers.js';
import { legalizeForWgsl } from './legalize.js';
import { helperSource, type HelperName } from './math-library.js';
import { gpuElementOf } from './storage.js';

export interface WgslOptions {
  /** Print for a device with `shader-f16`: f16 buffers and values stay f16 (`enable f16;`). */
  readonly f16: boolean;
}

export interface WgslKernel {
  readonly name: string;
  /** The WGSL entry point (the kernel name, made a legal identifier). */
  readonly entryPoint: string;
  readonly code: string;
  /** Whether the module enables f16. */
  readonly usesF16: boolean;
  /** Whether the module enables subgroups (the kernel holds subgroup_reduce or subgroup_size). */
  readonly usesSubgroups: boolean;
}

function workgroupArrays(stmts: readonly Stmt[], out: Extract<Stmt, { kind: 'array' }>[] = []) {
  for (const s of stmts) {
    if (s.kind === 'array' && s.scope === 'workgroup') out.push(s);
    else if (s.kind === 'for') workgroupArrays(s.body, out);
    else if (s.kind === 'if') { workgroupArrays(s.then, out); workgroupArrays(s.else, out); }
  }
  return out;
}

function usesF16Type(kernel: Kernel): boolean {
  return kernel.buffers.some((b) => b.dtype === 'f16') || JSON.stringify(kernel.body).includes('"f16');
}

export function printWgslKernel(source: Kernel, options: WgslOptions): WgslKernel {
  const kernel = legalizeForWgsl(source);
  const f16 = options.f16 && usesF16Type(kernel);
  const d = createWgslDialect({ f16 }) as WgslDialectInternals;
  const ctx = kernelContext(kernel);
  const entryPoint = wgslIdentifier(kernel.name);
  const names = new Set(kernel.buffers.map((b) => wgslIdentifier(b.name)));
  if (names.has(entryPoint)) throw new WgslUnsupportedError(`kernel '${kernel.name}' has a buffer of the same name`);

  let bodyText: string;
  try {
    const body = new CodeWriter();
    writeStmts(body, kernel.body, d, ctx);
    bodyText = body.text();
  } catch (e) {
    if (e instanceof WgslUnsupportedError) throw new WgslUnsupportedError(`kernel '${kernel.name}': ${e.message}`);
    throw e;
  }

  const w = new CodeWriter();
  w.line(`// kernel ${kernel.name}`);
  if (kernel.sources.length > 0) w.line(`// sources: ${kernel.sources.join(', ')}`);
  if (f16) w.line('enable f16;');
  if (d.subgroups.used) w.line('enable subgroups;');
  w.line('');
  if (kernel.uniforms.length > 0) {
    w.block('struct Uniforms', () => kernel.uniforms.forEach((u) => w.line(`${wgslIdentifier(u.name)}: i32,`)));
    w.line('@group(0) @binding(0) var<uniform> sl_u: Uniforms;');
  }
  kernel.buffers.forEach((b, k) => {
    const access = b.access === 'read' ? 'read' : 'read_write';
    w.line(`@group(0) @binding(${k + 1}) var<storage, ${access}> ${wgslIdentifier(b.name)}: array<${gpuElementOf(b.dtype, f16)}>; // ${b.dtype}`);
  });
  for (const a of workgroupArrays(kernel.body)) w.line(`var<workgroup> ${wgslIdentifier(a.name)}: array<${d.typeName(a.type)}, ${a.size}>;`);

  // Vector loads and stores of a buffer go through one function each (lane by lane).
  for (const key of [...d.vectorLoads].sort()) {
    const [name, n] = key.split(':') as [string, string];
    const b = ctx.buffer(name);
    const t = computeTypeOf(b.dtype)! as ScalarType;
    const vt = d.typeName(vectorOf(elemOf(t) as VectorElem, Number(n) as Lanes));
    const id = wgslIdentifier(name);
    const lanes = Array.from({ length: Number(n) }, (_, i) => d.convertLoaded(`${id}[i + ${i}]`, b, t));
    w.line('');
    w.block(`fn sl_load${n}_${id}(i: i32) -> ${vt}`, () => w.line(`return ${vt}(${lanes.join(', ')});`));
  }
  for (const key of [...d.vectorStores].sort()) {
    const [name, n] = key.split(':') as [string, string];
    const b = ctx.buffer(name);
    const t = computeTypeOf(b.dtype)! as ScalarType;
    const vt = d.typeName(vectorOf(elemOf(t) as VectorElem, Number(n) as Lanes));
    const id = wgslIdentifier(name);
    w.line('');
    w.block(`fn sl_store${n}_${id}(i: i32, v: ${vt})`, () => {
      for (let i = 0; i < Number(n); i++) w.line(`${id}[i + ${i}] = ${d.convertStored(`v.${'xyzw'[i]}`, b, t)};`);
    });
  }
  const helperKeys = [...d.helpers].sort((a, b) => (a.startsWith('nan') || a.startsWith('inf') ? -1 : 0) - (b.startsWith('nan') || b.startsWith('inf') ? -1 : 0) || a.localeCompare(b));
  const printedHelpers = new Set<string>();
  for (const key of helperKeys) {
    const [name, type] = key.split(':') as [HelperName, string];
    const text = helperSource(name, type, type.includes('f16') ? 'f16' : 'f32');
    if (printedHelpers.has(text)) continue;
    printedHelpers.add(text);
    w.line('');
    for (const line of text.split('\n')) w.line(line);
  }

  const [x, y, z] = kernel.workgroupSize;
  w.line('');
  w.line(`@compute @workgroup_size(${x}, ${y}, ${z})`);
  const params = [
    '@builtin(workgroup_id) sl_wid: vec3<u32>',
    '@builtin(num_workgroups) sl_nwg: vec3<u32>',
    `@builtin(local_invocation_id) ${LOCAL_ID}: vec3<u32>`,
    ...(d.subgroups.used ? [`@builtin(subgroup_size) ${SUBGROUP_SIZE}: u32`] : []),
  ];
  w.block(`fn ${entryPoint}(${params.join(', ')})`, () => {
    w.line(`let ${LINEAR_WORKGROUP}: i32 = i32(sl_wid.x + sl_wid.y * sl_nwg.x);`);
    for (const u of kernel.uniforms) w.line(`let ${wgslIdentifier(u.name)}: i32 = sl_u.${wgslIdentifier(u.name)};`);
    for (const line of bodyText.trimEnd().split('\n')) if (line !== '') w.line(line);
  });
  return { name: kernel.name, entryPoint, code: w.text(), usesF16: f16, usesSubgroups: d.subgroups.used };
}
