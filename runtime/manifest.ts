// The manifest of a compiled package (manifest.json): everything a runtime needs to run the
// module, as plain JSON. The compiler writes it (compiler/package/build-manifest.ts); the
// runtimes read it and check it with `checkManifest` before trusting a single field.
//
// This file ships inside generated packages, so it imports nothing from compiler/.
//
// Memory layout (one linear memory, each region aligned to `arena.alignment`):
//   weights (regions.weights bytes, a copy of weights.bin) | state | io | arena.
// A value's `location.offset` is a byte offset inside its region; offsets and sizes of the
// state, io and arena regions may depend on the model's symbols, so they are DimJson.

/** Current manifest format version. A runtime refuses any other. */
export const MANIFEST_FORMAT = 'sluice-package';
export const MANIFEST_VERSION = 1;

/**
 * A symbolic dimension as JSON: an integer, a symbol's name, or arithmetic on them.
 * `/` is exact division (the final value is an integer); `floordiv` and `mod` round toward
 * −∞ (Python semantics, mod has the divisor's sign).
 */
export type DimJson = number | string | DimJsonOp;
export type DimJsonOpName = '+' | '-' | '*' | '/' | 'floordiv' | 'mod' | 'max' | 'min';
export interface DimJsonOp {
  readonly op: DimJsonOpName;
  readonly a: DimJson;
  readonly b: DimJson;
}
export const DIM_JSON_OPS: readonly DimJsonOpName[] = ['+', '-', '*', '/', 'floordiv', 'mod', 'max', 'min'];

/** Storage dtypes a package may hold in device memory, with their size in bytes. */
export const MANIFEST_DTYPE_BYTES = {
  f64: 8, f32: 4, f16: 2, bf16: 2,
  i64: 8, i32: 4, i16: 2, i8: 1,
  u64: 8, u32: 4, u16: 2, u8: 1,
  bool: 1,
} as const;
export type ManifestDType = keyof typeof MANIFEST_DTYPE_BYTES;

export type ValueRole = 'input' | 'weight' | 'temp' | 'output' | 'state' | 'status';
export type Region = 'arena' | 'weights' | 'io' | 'state';
export type BufferAccess = 'read' | 'write' | 'read_write';

export interface ManifestDim {
  readonly name: string;
  /** Used when no input shape binds the symbol. */
  readonly default?: number;
}

/** A graph input or output. */
export interface ManifestTensor {
  readonly name: string;
  /** The value (in `values`) that holds it. */
  readonly value: string;
  readonly dtype: ManifestDType;
  readonly shape: readonly DimJson[];
}

/** A weight: `bytes` bytes at `offset` of weights.bin (and of the weights region). */
export interface ManifestWeight {
  readonly value: string;
  readonly name: string;
  readonly dtype: ManifestDType;
  readonly shape: readonly number[];
  readonly offset: number;
  readonly bytes: number;
}

/** A state buffer (a KV cache): persists between runs, zeroed on load and on reset. */
export interface ManifestState {
  readonly value: string;
  readonly name: string;
  readonly dtype: ManifestDType;
  readonly shape: readonly DimJson[];
  readonly offset: DimJson;
  readonly bytes: DimJson;
}

export interface ManifestValue {
  readonly id: string;
  readonly role: ValueRole;
  readonly name: string;
  readonly dtype: ManifestDType;
  readonly shape: readonly DimJson[];
  readonly location: { readonly region: Region; readonly offset: DimJson };
  /** Size in bytes (elements × dtype bytes). */
  readonly bytes: DimJson;
}

export interface ManifestKernel {
  /** The module's export that runs it (see targets/wasm/abi.ts for its signature). */
  readonly name: string;
  readonly buffers: readonly { readonly name: string; readonly dtype: ManifestDType; readonly access: BufferAccess }[];
  /** i32 uniforms, in the export's parameter order. */
  readonly uniforms: readonly { readonly name: string }[];
  /** Bytes of scratch memory each concurrently running call needs (targets/wasm/abi.ts); absent: 0. */
  readonly scratchBytes?: number;
  /** webgpu: the kernel also has a subgroup variant (`files.subgroupModule`/NAME.wgsl). */
  readonly subgroupVariant?: ManifestSubgroupVariant;
}

/**
 * A kernel's subgroup variant (Kernel IR subgroup_reduce) is correct where every subgroup has
 * at most `maxSubgroupSize` invocations and a workgroup of `workgroupSize` is cut into
 * subgroups of consecutive local_invocation_index (the runtime probes that once per size).
 */
export interface ManifestSubgroupVariant {
  readonly maxSubgroupSize: number;
  readonly workgroupSize: readonly [number, number, number];
}

export interface ManifestDispatch {
  readonly kernel: string;
  /** Kernel buffer parameter name → value id. */
  readonly buffers: Readonly<Record<string, string>>;
  /** Kernel uniform name → its value. */
  readonly uniforms: Readonly<Record<string, DimJson>>;
  /** Grid extents, outermost first; work items = their product (1 when empty). */
  readonly grid: readonly DimJson[];
}

/** Symbol `symbol` is read from axis `axis` of input `input` (whose dim there is exactly it). */
export interface ManifestDimBinding {
  readonly symbol: string;
  readonly input: string;
  readonly axis: number;
}

/** A condition on the dims (compiler/kernel/program.ts ShapeConstraint): when `when` > 0, each of `atLeastZero` is ≥ 0. */
export interface ManifestConstraint {
  readonly what: string;
  readonly when: DimJson;
  readonly atLeastZero: readonly DimJson[];
}

/** i32 words of the status value each error site owns: a flag, then each number as low and high halves. */
export const STATUS_WORDS_PER_SITE = 5;
/** Numbers an error site may write for its message. */
export const STATUS_VALUES_PER_SITE = 2;

/**
 * A data check in a kernel (compiler/kernel/program.ts ErrorSite). Its message is `message`
 * with `{vJ}` replaced by the J-th number the kernel wrote and `{dJ}` by `dims[J]` evaluated.
 */
export interface ManifestErrorSite {
  /** The diagnostic code the interpreter gives the same error (2010: gather index out of range). */
  readonly code: number;
  readonly node: string;
  readonly op: string;
  readonly message: string;
  readonly dims: readonly DimJson[];
}

/** The status value (role 'status', i32, zeroed before each run) and the sites that write it. */
export interface ManifestErrors {
  readonly status: string;
  readonly sites: readonly ManifestErrorSite[];
}

export interface ManifestStats {
  /** At `dims` (the defaults, else the values the compile was given or demo values). */
  readonly arenaBytes: number;
  readonly weightsBytes: number;
  readonly stateBytes: number;
  readonly kernels: number;
  readonly dispatches: number;
  /** The symbol values the byte counts above were computed at. */
  readonly dims: Readonly<Record<string, number>>;
}

export interface Manifest {
  readonly format: typeof MANIFEST_FORMAT;
  readonly version: typeof MANIFEST_VERSION;
  /** 'webgpu': `files.module` is a folder holding one WGSL module per kernel (`NAME.wgsl`). */
  readonly target: 'wasm' | 'webgpu' | 'cuda';
  readonly model: string;
  /** Files of the package, relative to manifest.json. */
  readonly files: {
    readonly module: string;
    readonly weights: string;
    /** The same kernels printed with relaxed SIMD (fused multiply-add), for engines that validate it. */
    readonly relaxedModule?: string;
    /** webgpu: the folder of the same kernels with `enable f16`, for adapters with shader-f16. */
    readonly f16Module?: string;
    /** webgpu: the folder of the subgroup variants (`enable subgroups`) of the kernels that list one. */
    readonly subgroupModule?: string;
  };
  readonly dims: readonly ManifestDim[];
  readonly inputs: readonly ManifestTensor[];
  readonly outputs: readonly ManifestTensor[];
  readonly weights: readonly ManifestWeight[];
  readonly state: readonly ManifestState[];
  /** Bytes of each region before the arena. */
  readonly regions: { readonly weights: number; readonly state: DimJson; readonly io: DimJson };
  /** The arena of temporaries; `alignment` (bytes) applies to every region and offset. */
  readonly arena: { readonly bytes: DimJson; readonly alignment: number };
  readonly values: readonly ManifestValue[];
  readonly kernels: readonly ManifestKernel[];
  readonly dispatches: readonly ManifestDispatch[];
  readonly dimBindings: readonly ManifestDimBinding[];
  /** Conditions on the dims a run must meet (absent: none). */
  readonly constraints?: readonly ManifestConstraint[];
  /** Data checks the kernels make (absent: none). */
  readonly errors?: ManifestErrors;
  readonly stats: ManifestStats;
}

// ---- checking ----

/** A manifest that is not what this runtime understands; the message names the field. */
export class ManifestError extends Error {
  constructor(readonly field: string, detail: string) {
    super(`invalid manifest: ${field}: ${detail}`);
    this.name = 'ManifestError';
  }
}

type Json = unknown;

function describe(v: Json): string {
  if (v === null) return 'null';
  if (Array.isArray(v)) return 'an array';
  if (typeof v === 'string') return `"${v.length > 40 ? `${v.slice(0, 40)}...` : v}"`;
  if (typeof v === 'object') return 'an object';
  return `${typeof v} ${String(v)}`;
}

function object(v: Json, field: string): Record<string, Json> {
  if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new ManifestError(field, `expected an object, got ${describe(v)}`);
  return v as Record<string, Json>;
}

function array(v: Json, field: string): readonly Json[] {
  if (!Array.isArray(v)) throw new ManifestError(field, `expected an array, got ${describe(v)}`);
  return v;
}

function string(v: Json, field: string): string {
  if (typeof v !== 'string' || v === '') throw new ManifestError(field, `expected a non-empty string, got ${describe(v)}`);
  return v;
}

function count(v: Json, field: string): number {
  if (typeof v !== 'number' || !Number.isSafeInteger(v) || v < 0) {
    throw new ManifestError(field, `expected a non-negative integer, got ${describe(v)}`);
  }
  return v;
}

function oneOf<T extends string>(v: Json, allowed: readonly T[], field: string): T {
  if (typeof v !== 'string' || !(allowed as readonly string[]).includes(v)) {
    throw new ManifestError(field, `expected one of ${allowed.join(', ')}, got ${describe(v)}`);
  }
  return v as T;
}

const DTYPE_NAMES = Object.keys(MANIFEST_DTYPE_BYTES) as ManifestDType[];

function dtype(v: Json, field: string): ManifestDType {
  return oneOf(v, DTYPE_NAMES, field);
}

export function checkDimJson(v: Json, field: string): DimJson {
  if (typeof v === 'number') {
    if (!Number.isSafeInteger(v)) throw new ManifestError(field, `expected an integer dim, got ${describe(v)}`);
    return v;
  }
  if (typeof v === 'string') return string(v, field);
  if (typeof v === 'object' && v !== null && !Array.isArray(v)) {
    const o = v as Record<string, Json>;
    return { op: oneOf(o.op, DIM_JSON_OPS, `${field}.op`), a: checkDimJson(o.a, `${field}.a`), b: checkDimJson(o.b, `${field}.b`) };
  }
  throw new ManifestError(field, `expected a dim (integer, symbol name or {op, a, b}), got ${describe(v)}`);
}

function dims(v: Json, field: string): DimJson[] {
  return array(v, field).map((d, i) => checkDimJson(d, `${field}[${i}]`));
}

function list<T>(v: Json, field: string, item: (o: Record<string, Json>, field: string) => T): T[] {
  return array(v, field).map((x, i) => item(object(x, `${field}[${i}]`), `${field}[${i}]`));
}

function tensor(o: Record<string, Json>, f: string): ManifestTensor {
  return { name: string(o.name, `${f}.name`), value: string(o.value, `${f}.value`), dtype: dtype(o.dtype, `${f}.dtype`), shape: dims(o.shape, `${f}.shape`) };
}

function weight(o: Record<string, Json>, f: string): ManifestWeight {
  return {
    value: string(o.value, `${f}.value`),
    name: string(o.name, `${f}.name`),
    dtype: dtype(o.dtype, `${f}.dtype`),
    shape: array(o.shape, `${f}.shape`).map((d, i) => count(d, `${f}.shape[${i}]`)),
    offset: count(o.offset, `${f}.offset`),
    bytes: count(o.bytes, `${f}.bytes`),
  };
}

function state(o: Record<string, Json>, f: string): ManifestState {
  return {
    value: string(o.value, `${f}.value`),
    name: string(o.name, `${f}.name`),
    dtype: dtype(o.dtype, `${f}.dtype`),
    shape: dims(o.shape, `${f}.shape`),
    offset: checkDimJson(o.offset, `${f}.offset`),
    bytes: checkDimJson(o.bytes, `${f}.bytes`),
  };
}

const ROLES: readonly ValueRole[] = ['input', 'weight', 'temp', 'output', 'state', 'status'];
const REGIONS: readonly Region[] = ['arena', 'weights', 'io', 'state'];
const ACCESS: readonly BufferAccess[] = ['read', 'write', 'read_write'];

function value(o: Record<string, Json>, f: string): ManifestValue {
  const loc = object(o.location, `${f}.location`);
  return {
    id: string(o.id, `${f}.id`),
    role: oneOf(o.role, ROLES, `${f}.role`),
    name: string(o.name, `${f}.name`),
    dtype: dtype(o.dtype, `${f}.dtype`),
    shape: dims(o.shape, `${f}.shape`),
    location: { region: oneOf(loc.region, REGIONS, `${f}.location.region`), offset: checkDimJson(loc.offset, `${f}.location.offset`) },
    bytes: checkDimJson(o.bytes, `${f}.bytes`),
  };
}

function kernel(o: Record<string, Json>, f: string): ManifestKernel {
  return {
    name: string(o.name, `${f}.name`),
    buffers: list(o.buffers, `${f}.buffers`, (b, g) => ({
      name: string(b.name, `${g}.name`), dtype: dtype(b.dtype, `${g}.dtype`), access: oneOf(b.access, ACCESS, `${g}.access`),
    })),
    uniforms: list(o.uniforms, `${f}.uniforms`, (u, g) => ({ name: string(u.name, `${g}.name`) })),
    ...(o.scratchBytes === undefined ? {} : { scratchBytes: count(o.scratchBytes, `${f}.scratchBytes`) }),
    ...(o.subgroupVariant === undefined ? {} : { subgroupVariant: subgroupVariant(object(o.subgroupVariant, `${f}.subgroupVariant`), `${f}.subgroupVariant`) }),
  };
}

function subgroupVariant(o: Record<string, Json>, f: string): ManifestSubgroupVariant {
  const maxSubgroupSize = count(o.maxSubgroupSize, `${f}.maxSubgroupSize`);
  if (maxSubgroupSize < 1 || (maxSubgroupSize & (maxSubgroupSize - 1)) !== 0) throw new ManifestError(`${f}.maxSubgroupSize`, `${maxSubgroupSize} is not a power of two`);
  const size = array(o.workgroupSize, `${f}.workgroupSize`).map((x, i) => count(x, `${f}.workgroupSize[${i}]`));
  if (size.length !== 3 || size.some((n) => n < 1)) throw new ManifestError(`${f}.workgroupSize`, 'expected three positive counts');
  return { maxSubgroupSize, workgroupSize: [size[0]!, size[1]!, size[2]!] };
}

function record<T>(v: Json, field: string, item: (x: Json, field: string) => T): Record<string, T> {
  const o = object(v, field);
  const out: Record<string, T> = {};
  for (const [k, x] of Object.entries(o)) out[k] = item(x, `${field}.${k}`);
  return out;
}

function dispatch(o: Record<string, Json>, f: string): ManifestDispatch {
  return {
    kernel: string(o.kernel, `${f}.kernel`),
    buffers: record(o.buffers, `${f}.buffers`, string),
    uniforms: record(o.uniforms, `${f}.uniforms`, checkDimJson),
    grid: dims(o.grid, `${f}.grid`),
  };
}

function errors(o: Record<string, Json>, f: string): ManifestErrors {
  return {
    status: string(o.status, `${f}.status`),
    sites: list(o.sites, `${f}.sites`, (x, g) => {
      const site: ManifestErrorSite = {
        code: count(x.code, `${g}.code`),
        node: string(x.node, `${g}.node`),
        op: string(x.op, `${g}.op`),
        message: string(x.message, `${g}.message`),
        dims: dims(x.dims, `${g}.dims`),
      };
      for (const [, kind, j] of site.message.matchAll(/\{([vd])(\d+)\}/g)) {
        const limit = kind === 'v' ? STATUS_VALUES_PER_SITE : site.dims.length;
        if (Number(j) >= limit) throw new ManifestError(`${g}.message`, `{${kind}${j}} refers past the ${kind === 'v' ? 'values a site writes' : 'dims given'}`);
      }
      return site;
    }),
  };
}

function stats(o: Record<string, Json>, f: string): ManifestStats {
  return {
    arenaBytes: count(o.arenaBytes, `${f}.arenaBytes`),
    weightsBytes: count(o.weightsBytes, `${f}.weightsBytes`),
    stateBytes: count(o.stateBytes, `${f}.stateBytes`),
    kernels: count(o.kernels, `${f}.kernels`),
    dispatches: count(o.dispatches, `${f}.dispatches`),
    dims: record(o.dims ?? {}, `${f}.dims`, count),
  };
}

/**
 * Checks a parsed manifest.json: format, version, every field's type, and that references
 * (value ids, kernel names, buffer and uniform names, dim bindings) resolve. Throws a
 * `ManifestError` naming the first bad field.
 */
export function checkManifest(json: unknown): Manifest {
  const root = object(json, 'manifest');
  if (root.format !== MANIFEST_FORMAT) {
    throw new ManifestError('format', `expected "${MANIFEST_FORMAT}", got ${describe(root.format)} (not a sluice package manifest)`);
  }
  if (root.version !== MANIFEST_VERSION) {
    throw new ManifestError('version', `this runtime reads version ${MANIFEST_VERSION}, the package has ${describe(root.version)}; recompile the model with a matching sluice`);
  }
  const files = object(root.files, 'files');
  const regions = object(root.regions, 'regions');
  const arena = object(root.arena, 'arena');
  const m: Manifest = {
    format: MANIFEST_FORMAT,
    version: MANIFEST_VERSION,
    target: oneOf(root.target, ['wasm', 'webgpu', 'cuda'] as const, 'target'),
    model: string(root.model, 'model'),
    files: {
      module: string(files.module, 'files.module'),
      weights: string(files.weights, 'files.weights'),
      ...(files.relaxedModule === undefined ? {} : { relaxedModule: string(files.relaxedModule, 'files.relaxedModule') }),
      ...(files.f16Module === undefined ? {} : { f16Module: string(files.f16Module, 'files.f16Module') }),
      ...(files.subgroupModule === undefined ? {} : { subgroupModule: string(files.subgroupModule, 'files.subgroupModule') }),
    },
    dims: list(root.dims, 'dims', (d, f) => ({
      name: string(d.name, `${f}.name`),
      ...(d.default === undefined ? {} : { default: count(d.default, `${f}.default`) }),
    })),
    inputs: list(root.inputs, 'inputs', tensor),
    outputs: list(root.outputs, 'outputs', tensor),
    weights: list(root.weights, 'weights', weight),
    state: list(root.state, 'state', state),
    regions: {
      weights: count(regions.weights, 'regions.weights'),
      state: checkDimJson(regions.state, 'regions.state'),
      io: checkDimJson(regions.io, 'regions.io'),
    },
    arena: { bytes: checkDimJson(arena.bytes, 'arena.bytes'), alignment: count(arena.alignment, 'arena.alignment') },
    values: list(root.values, 'values', value),
    kernels: list(root.kernels, 'kernels', kernel),
    dispatches: list(root.dispatches, 'dispatches', dispatch),
    dimBindings: list(root.dimBindings, 'dimBindings', (b, f) => ({
      symbol: string(b.symbol, `${f}.symbol`), input: string(b.input, `${f}.input`), axis: count(b.axis, `${f}.axis`),
    })),
    ...(root.constraints === undefined ? {} : {
      constraints: list(root.constraints, 'constraints', (c, f) => ({
        what: string(c.what, `${f}.what`),
        when: checkDimJson(c.when, `${f}.when`),
        atLeastZero: (Array.isArray(c.atLeastZero) ? c.atLeastZero : [] as Json[]).map((d, j) => checkDimJson(d, `${f}.atLeastZero[${j}]`)),
      })),
    }),
    ...(root.errors === undefined ? {} : { errors: errors(object(root.errors, 'errors'), 'errors') }),
    stats: stats(object(root.stats, 'stats'), 'stats'),
  };
  checkReferences(m);
  return m;
}

function checkReferences(m: Manifest): void {
  const alignment = m.arena.alignment;
  if (alignment === 0 || (alignment & (alignment - 1)) !== 0) throw new ManifestError('arena.alignment', `expected a power of two, got ${alignment}`);
  const values = new Map<string, ManifestValue>();
  m.values.forEach((v, i) => {
    if (values.has(v.id)) throw new ManifestError(`values[${i}].id`, `duplicate value id "${v.id}"`);
    values.set(v.id, v);
  });
  const symbols = new Set(m.dims.map((d) => d.name));
  const checkSymbols = (d: DimJson, field: string): void => {
    if (typeof d === 'string') {
      if (!symbols.has(d)) throw new ManifestError(field, `symbol "${d}" is not declared in dims`);
    } else if (typeof d === 'object') {
      checkSymbols(d.a, field);
      checkSymbols(d.b, field);
    }
  };
  const ref = (id: string, field: string): ManifestValue => {
    const v = values.get(id);
    if (!v) throw new ManifestError(field, `value "${id}" is not in values`);
    return v;
  };
  m.values.forEach((v, i) => {
    v.shape.forEach((d, j) => checkSymbols(d, `values[${i}].shape[${j}]`));
    checkSymbols(v.location.offset, `values[${i}].location.offset`);
  });
  for (const [key, list] of [['inputs', m.inputs], ['outputs', m.outputs]] as const) {
    list.forEach((t, i) => {
      const v = ref(t.value, `${key}[${i}].value`);
      if (v.dtype !== t.dtype) throw new ManifestError(`${key}[${i}].dtype`, `"${t.dtype}" differs from value "${v.id}" (${v.dtype})`);
      t.shape.forEach((d, j) => checkSymbols(d, `${key}[${i}].shape[${j}]`));
    });
  }
  m.weights.forEach((w, i) => {
    ref(w.value, `weights[${i}].value`);
    if (w.offset + w.bytes > m.regions.weights) throw new ManifestError(`weights[${i}]`, `bytes ${w.offset}..${w.offset + w.bytes} exceed the weights region (${m.regions.weights} bytes)`);
  });
  m.state.forEach((s, i) => ref(s.value, `state[${i}].value`));
  const kernels = new Map<string, ManifestKernel>();
  m.kernels.forEach((k, i) => {
    if (kernels.has(k.name)) throw new ManifestError(`kernels[${i}].name`, `duplicate kernel "${k.name}"`);
    kernels.set(k.name, k);
  });
  const variants = m.kernels.filter((k) => k.subgroupVariant).length;
  if (variants > 0 && m.files.subgroupModule === undefined) throw new ManifestError('files.subgroupModule', `${variants} kernels have a subgroup variant but no folder holds them`);
  if (variants === 0 && m.files.subgroupModule !== undefined) throw new ManifestError('files.subgroupModule', 'no kernel has a subgroup variant');
  m.dispatches.forEach((d, i) => {
    const f = `dispatches[${i}]`;
    const k = kernels.get(d.kernel);
    if (!k) throw new ManifestError(`${f}.kernel`, `kernel "${d.kernel}" is not in kernels`);
    for (const b of k.buffers) {
      const id = d.buffers[b.name];
      if (id === undefined) throw new ManifestError(`${f}.buffers`, `no value for buffer "${b.name}" of kernel "${k.name}"`);
      const v = ref(id, `${f}.buffers.${b.name}`);
      if (v.dtype !== b.dtype) throw new ManifestError(`${f}.buffers.${b.name}`, `value "${id}" is ${v.dtype}, kernel "${k.name}" expects ${b.dtype}`);
    }
    for (const u of k.uniforms) {
      const dim = d.uniforms[u.name];
      if (dim === undefined) throw new ManifestError(`${f}.uniforms`, `no value for uniform "${u.name}" of kernel "${k.name}"`);
      checkSymbols(dim, `${f}.uniforms.${u.name}`);
    }
    d.grid.forEach((g, j) => checkSymbols(g, `${f}.grid[${j}]`));
  });
  if (m.errors) {
    const v = ref(m.errors.status, 'errors.status');
    if (v.role !== 'status' || v.dtype !== 'i32') throw new ManifestError('errors.status', `value "${v.id}" is a ${v.dtype} ${v.role}, not an i32 status`);
    const words = m.errors.sites.length * STATUS_WORDS_PER_SITE;
    if (v.shape.length !== 1 || v.shape[0] !== words) throw new ManifestError('errors.status', `value "${v.id}" must have shape [${words}] for ${m.errors.sites.length} sites`);
    m.errors.sites.forEach((s, i) => s.dims.forEach((d, j) => checkSymbols(d, `errors.sites[${i}].dims[${j}]`)));
  }
  m.dimBindings.forEach((b, i) => {
    const f = `dimBindings[${i}]`;
    if (!symbols.has(b.symbol)) throw new ManifestError(`${f}.symbol`, `symbol "${b.symbol}" is not declared in dims`);
    const input = m.inputs.find((t) => t.name === b.input);
    if (!input) throw new ManifestError(`${f}.input`, `no input named "${b.input}"`);
    if (b.axis >= input.shape.length || input.shape[b.axis] !== b.symbol) {
      throw new ManifestError(`${f}.axis`, `axis ${b.axis} of input "${b.input}" is not the symbol "${b.symbol}"`);
    }
  });
}

/** Bytes per element of a manifest dtype. */
export function dtypeBytes(dtype: ManifestDType): number {
  return MANIFEST_DTYPE_BYTES[dtype];
}
