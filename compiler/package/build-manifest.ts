// Program + memory plan → manifest.json (runtime/manifest.ts). Dims become DimJson trees the
// runtime evaluates once it has bound the symbols from the inputs' shapes.

import { evalDim, type Dim, type DimBindings } from '../ir/dim.js';
import type { Program, ProgramValue } from '../kernel/program.js';
import type { MemoryPlan } from '../schedule/memory-plan.js';
import {
  MANIFEST_DTYPE_BYTES, MANIFEST_FORMAT, MANIFEST_VERSION,
  type DimJson, type Manifest, type ManifestDimBinding, type ManifestSubgroupVariant, type ManifestErrors, type ManifestDType, type ManifestTensor, type ManifestWeight,
} from '../../runtime/manifest.js';
import { dimToJson } from './dim-json.js';
import { messageText } from '../diagnostics/diagnostic.js';
import { MESSAGES } from '../diagnostics/messages.js';

export const PACKAGE_FILES = { module: 'model.wasm', weights: 'weights.bin', relaxedModule: 'model.relaxed.wasm' } as const;
/** A webgpu package: one WGSL module per kernel in each folder (`wgsl/NAME.wgsl`). */
export const WEBGPU_PACKAGE_FILES = { module: 'wgsl', weights: 'weights.bin', f16Module: 'wgsl-f16', subgroupModule: 'wgsl-subgroups' } as const;

export interface BuildManifestOptions {
  readonly program: Program;
  readonly plan: MemoryPlan;
  /** Where each weight lies in weights.bin (compiler/package/pack-weights.ts). */
  readonly weights: readonly ManifestWeight[];
  /** Symbol values the stats are computed at (every symbol of the program). */
  readonly statsDims: DimBindings;
  /** Per-kernel scratch bytes the printed module needs (targets/wasm/abi.ts). */
  readonly scratchBytes?: ReadonlyMap<string, number>;
  /** Whether the package also holds the relaxed-SIMD module. */
  readonly relaxedModule?: boolean;
  /** The package's target (default wasm). */
  readonly target?: 'wasm' | 'webgpu';
  /** webgpu: whether the package also holds the f16 variant of the kernels. */
  readonly f16Module?: boolean;
  /** webgpu: the kernels that also have a subgroup variant (in files.subgroupModule), and where it is correct. */
  readonly subgroupVariants?: ReadonlyMap<string, ManifestSubgroupVariant>;
}

function manifestDType(v: Pick<ProgramValue, 'dtype'>, what: string): ManifestDType {
  if (!(v.dtype in MANIFEST_DTYPE_BYTES)) throw new Error(`manifest: ${what} has dtype ${v.dtype}, which cannot live in device memory`);
  return v.dtype as ManifestDType;
}

/** The symbol a dim is exactly (`S`, not `2*S`), if any. */
function exactSymbol(d: Dim): string | undefined {
  const json = dimToJson(d);
  return typeof json === 'string' ? json : undefined;
}

/** Error sites with their messages as templates: `{vJ}` the J-th number written, `{dJ}` a dim. */
function manifestErrors(errors: NonNullable<Program['errors']>): ManifestErrors {
  return {
    status: errors.status,
    sites: errors.sites.map((site) => {
      const dims: DimJson[] = [];
      const args = site.args.map((a) => {
        if (typeof a !== 'object') return a;
        if ('value' in a) return `{v${a.value}}`;
        dims.push(dimToJson(a.dim));
        return `{d${dims.length - 1}}`;
      });
      return { code: MESSAGES[site.code].code, node: site.node, op: site.op, message: messageText(site.code, args), dims };
    }),
  };
}

export function buildManifest(o: BuildManifestOptions): Manifest {
  const { program, plan } = o;
  const byId = new Map(program.values.map((v) => [v.id, v] as const));
  const get = (id: string) => {
    const v = byId.get(id);
    if (!v) throw new Error(`manifest: program names value ${id}, which it does not define`);
    return v;
  };
  const tensor = (id: string): ManifestTensor => {
    const v = get(id);
    return { name: v.name, value: v.id, dtype: manifestDType(v, v.name), shape: v.shape.map(dimToJson) };
  };
  const dimBindings: ManifestDimBinding[] = [];
  for (const id of program.inputs) {
    const v = get(id);
    v.shape.forEach((d, axis) => {
      const symbol = exactSymbol(d);
      if (symbol !== undefined) dimBindings.push({ symbol, input: v.name, axis });
    });
  }
  const at = (d: Dim) => evalDim(d, o.statsDims);
  return {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    target: o.target ?? 'wasm',
    model: program.name,
    files: o.target === 'webgpu'
      ? {
        module: WEBGPU_PACKAGE_FILES.module,
        weights: WEBGPU_PACKAGE_FILES.weights,
        ...(o.f16Module ? { f16Module: WEBGPU_PACKAGE_FILES.f16Module } : {}),
        ...(o.subgroupVariants?.size ? { subgroupModule: WEBGPU_PACKAGE_FILES.subgroupModule } : {}),
      }
      : {
        module: PACKAGE_FILES.module,
        weights: PACKAGE_FILES.weights,
        ...(o.relaxedModule ? { relaxedModule: PACKAGE_FILES.relaxedModule } : {}),
      },
    dims: program.dims.map((d) => (d.defaultValue === undefined ? { name: d.name } : { name: d.name, default: d.defaultValue })),
    inputs: program.inputs.map(tensor),
    outputs: program.outputs.map(tensor),
    weights: o.weights,
    state: program.values.filter((v) => v.role === 'state').map((v) => ({
      value: v.id,
      name: v.name,
      dtype: manifestDType(v, v.name),
      shape: v.shape.map(dimToJson),
      offset: dimToJson(plan.locations.get(v.id)!.offset),
      bytes: dimToJson(plan.valueBytes.get(v.id)!),
    })),
    regions: {
      weights: at(plan.regionBytes.weights),
      state: dimToJson(plan.regionBytes.state),
      io: dimToJson(plan.regionBytes.io),
    },
    arena: { bytes: dimToJson(plan.regionBytes.arena), alignment: plan.alignment },
    values: program.values.map((v) => {
      const loc = plan.locations.get(v.id);
      if (!loc) throw new Error(`manifest: the memory plan has no place for ${v.id}`);
      return {
        id: v.id,
        role: v.role,
        name: v.name,
        dtype: manifestDType(v, v.id),
        shape: v.shape.map(dimToJson),
        location: { region: loc.region, offset: dimToJson(loc.offset) },
        bytes: dimToJson(plan.valueBytes.get(v.id)!),
      };
    }),
    kernels: program.kernels.map((k) => {
      const scratch = o.scratchBytes?.get(k.name) ?? 0;
      const subgroupVariant = o.subgroupVariants?.get(k.name);
      return {
        name: k.name,
        buffers: k.buffers.map((b) => ({ name: b.name, dtype: manifestDType(b, `buffer ${b.name} of kernel ${k.name}`), access: b.access })),
        uniforms: k.uniforms.map((u) => ({ name: u.name })),
        ...(scratch > 0 ? { scratchBytes: scratch } : {}),
        ...(subgroupVariant ? { subgroupVariant } : {}),
      };
    }),
    dispatches: program.dispatches.map((d) => ({
      kernel: d.kernel,
      buffers: { ...d.buffers },
      uniforms: Object.fromEntries(Object.entries(d.uniforms).map(([k, u]) => [k, dimToJson(u)])),
      grid: d.grid.map(dimToJson),
    })),
    dimBindings,
    ...(program.constraints?.length ? {
      constraints: program.constraints.map((c) => ({ what: c.what, when: dimToJson(c.when), atLeastZero: c.atLeastZero.map(dimToJson) })),
    } : {}),
    ...(program.errors?.sites.length ? { errors: manifestErrors(program.errors) } : {}),
    stats: {
      arenaBytes: at(plan.regionBytes.arena),
      weightsBytes: at(plan.regionBytes.weights),
      stateBytes: at(plan.regionBytes.state),
      kernels: program.kernels.length,
      dispatches: program.dispatches.length,
      dims: Object.fromEntries(o.statsDims),
    },
  };
}
