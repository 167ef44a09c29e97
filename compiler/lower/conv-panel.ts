// Convolution, CPU (WASM) schedule as a packed-panel implicit GEMM: the matmul's n-vector
// micro-kernel (matmul.ts) with A = the weights, M = output channels of a group × K = input
// channels of the group · taps (contiguous in the weights), and B = the input gathered for nr
// output positions (one im2col panel), which the work item packs into a contiguous private
// array before its register tiles sweep it.
//
// A work item owns rowsPerItem output channels × nr consecutive output positions (flat over
// every spatial axis, so a panel may span rows of the output). K is walked in blocks of whole
// input channels; per block the panel is packed tap by tap: for each of its nr/4 vectors the
// tap's validity is decided once, then a loop over the block's channels copies one f32x4 per
// channel (one loop for all vectors when all are inside) — a plain vector load where the four
// positions lie in one row with every tap inside the input (stride 1 along a contiguous last
// axis; four scalar loads otherwise), lane by lane with zeros for the padding where not. The
// micro-kernel then sees no padding, no strides and no tap structure: per k step nr/4 panel
// loads, mr weight splats and mr·nr/4 FMAs. The epilogue runs on f32x4 for vectors within one
// output row (it sees spatial coordinates), lane by lane for those across rows or past the end.
//
// Used for convolutions whose weights are contiguous along K and whose groups have enough
// output channels to reuse a panel, or that the row schedule cannot take (conv.ts decides);
// depthwise and thin groups with stride 1 keep the row schedule (conv-rows.ts). Tiles:
// chooseConvTile (schedule/tiles.ts). Semantics: compiler/interpret/kernels/conv.ts.

import { ceilDivDim, constDim, constValue, dimEquals, divDim, isConst, mulDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, and, arrayLoad, cast, div, f32, fma, ge, gt, i32, lane, le, load, lt, max, min, mul, select, splat, sub, variable,
  vectorOfLanes,
} from '../kernel/builder.js';
import type { BufferParam, Expr } from '../kernel/ir.js';
import type { TargetDescription } from '../kernel/program.js';
import { chooseConvTile } from '../schedule/tiles.js';
import { canLowerConvRows } from './conv-rows.js';
import type { ConvSpec, LoweredKernel } from './specs.js';
import { storeConverted, unflatten } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { EPILOGUE_LANES, epilogueVectorizes } from './vector-epilogue.js';

/**
 * Output channels per group below which the row schedule wins where it applies: each packed
 * panel element is copied once and read by rows/mr register tiles, so thin groups (depthwise
 * above all) spend as much on packing as on FMAs. Measured (3×3, 56×56, 1 thread): 6 output
 * channels 19–22 GFLOP/s packed against 16 by rows, 4 channels 13–19 against 16–17.
 */
export const MIN_PANEL_ROWS = 6;

/** Whether the weights [M, C/group, ...kernel] are contiguous from the channel axis on (K = C/group · taps). */
function weightsContiguousAlongK(spec: ConvSpec): boolean {
  let expected: Dim = constDim(1);
  for (let d = spec.wShape.length - 1; d >= 1; d--) {
    if (!isConst(spec.wShape[d]!, 1) && !dimEquals(spec.w.strides[d]!, expected)) return false;
    expected = mulDim(expected, spec.wShape[d]!);
  }
  return true;
}

function tapsOf(spec: ConvSpec): number | undefined {
  return constValue(spec.wShape.slice(2).reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1)));
}

/** Whether the panel schedule applies (vectors, K-contiguous weights, a known kernel size) and pays. */
export function canLowerConvPanel(spec: ConvSpec, target: TargetDescription): boolean {
  if (target.vectorLanes <= 1 || spec.xShape.length < 3 || tapsOf(spec) === undefined || !weightsContiguousAlongK(spec)) return false;
  const perGroup = constValue(divDim(spec.wShape[0]!, spec.attrs.group));
  return perGroup === undefined || perGroup >= MIN_PANEL_ROWS || !canLowerConvRows(spec, target);
}

/** Four (lanes) consecutive output positions of the item's panel. */
interface PanelVector {
  /** Flat output position of lane 0 (may be ≥ P in the last panel). */
  readonly first: Expr;
  /** Output coordinates of position min(first, P − 1), per spatial axis (the last one a variable). */
  readonly coords: readonly Expr[];
  /** Whether all lanes are positions < P of one output row. */
  readonly inRow: Expr;
}

interface PanelContext {
  readonly kb: KernelBuilder;
  readonly spec: ConvSpec;
  readonly uniforms: UniformDims;
  readonly dim: (d: Dim) => Expr;
  readonly lanes: number;
  readonly taps: number;
  /** Whether the epilogue runs on f32x4 accumulators (false: lane by lane). */
  readonly vectorEpilogue: boolean;
  readonly X: BufferParam;
  readonly W: BufferParam;
  readonly O: BufferParam;
  readonly Bias: BufferParam | undefined;
  readonly batch: Expr;
  /** Output channel of the group's first row. */
  readonly groupRow: Expr;
  /** Output channels per group. */
  readonly rowsPerGroup: Expr;
  /** Input channels per group. */
  readonly channels: Expr;
  /** Output positions (all spatial axes). */
  readonly positions: Expr;
  readonly wRowStride: Expr;
  /** Element of x[batch, first channel of the group, 0, …]. */
  readonly xGroup: Expr;
  /** Element of w[first row of the item, 0, …]. */
  readonly wItem: Expr;
  readonly vectors: readonly PanelVector[];
}

/** One row of a register tile: its index within the group (for stores) and whether it surely exists. */
interface TileRow {
  readonly index: Expr;
  readonly alwaysValid: boolean;
}

export function lowerConvPanel(spec: ConvSpec, target: TargetDescription): LoweredKernel {
  const spatial = spec.xShape.length - 2;
  const { group } = spec.attrs;
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const X = kb.buffer(spec.x.value, spec.x.dtype, 'read');
  const W = kb.buffer(spec.w.value, spec.w.dtype, 'read');
  const Bias = spec.bias && kb.buffer(spec.bias.value, spec.bias.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');

  const lanes = target.vectorLanes;
  const taps = tapsOf(spec)!;
  const rowsPerGroup = divDim(spec.wShape[0]!, group);
  const outSpatial = spec.outShape.slice(2);
  const positions = outSpatial.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  const channelCount = constValue(spec.wShape[1]!);
  const tile = chooseConvTile(target, taps, constValue(rowsPerGroup), constValue(positions), channelCount);
  const { mr, nr, rowsPerItem, channelsPerBlock } = tile;
  const vecs = nr / lanes;
  const rowBlocks = ceilDivDim(rowsPerGroup, rowsPerItem);
  const colTiles = ceilDivDim(positions, nr);
  const gridDim = [spec.xShape[0]!, constDim(group), rowBlocks, colTiles].reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  const probeVar = (name: string): Expr => variable(name, 'i32');
  const vectorEpilogue = spec.epilogue !== undefined && lanes === EPILOGUE_LANES && epilogueVectorizes(spec.epilogue, {
    batch: [probeVar('probe_batch')], row: probeVar('probe_row'), col: probeVar('probe_flat'),
    spatial: [...outSpatial.slice(0, -1).map((_, d) => probeVar(`probe_o${d}`)), probeVar('probe_col')],
  }, 'probe_col');
  const blocked = channelCount === undefined || channelCount > channelsPerBlock;

  // Work items: batch × group × row blocks × position panels (panels fastest: neighbouring
  // items read neighbouring input and the same weights).
  kb.loop('item', i32(0), dim(gridDim), 'grid.x', (item) => {
    const [batch, grp, rowBlock, colTile] = unflatten(kb, item, [dim(spec.xShape[0]!), i32(group), dim(rowBlocks), dim(colTiles)],
      ['batch', 'group', 'row_block', 'col_tile']) as [Expr, Expr, Expr, Expr];
    const Mg = dim(rowsPerGroup), P = dim(positions), C = dim(spec.wShape[1]!);
    const groupRow = group === 1 ? i32(0) : kb.let('group_row', mul(grp, Mg));
    const m0 = kb.let('m0', mul(rowBlock, i32(rowsPerItem)));
    const n0 = kb.let('n0', mul(colTile, i32(nr)));
    const rowsHere = kb.let('rows_here', min(i32(rowsPerItem), sub(Mg, m0)));
    const vectors = Array.from({ length: vecs }, (_, j): PanelVector => {
      const first = j === 0 ? n0 : kb.let('p', add(n0, i32(j * lanes)));
      const coords = unflatten(kb, min(first, sub(P, i32(1))), outSpatial.map(dim), outSpatial.map((_, d) => `o${j}_${d}`));
      const inRow = kb.let('in_row', and(lt(add(first, i32(lanes - 1)), P), lt(add(coords[spatial - 1]!, i32(lanes - 1)), dim(outSpatial[spatial - 1]!))));
      return { first, coords, inRow };
    });
    const ctx: PanelContext = {
      kb, spec, uniforms, dim, lanes, taps, vectorEpilogue, X, W, O, Bias, batch, groupRow, rowsPerGroup: Mg, channels: C, positions: P,
      wRowStride: dim(spec.w.strides[0]!),
      xGroup: kb.let('x_group', add(add(dim(spec.x.offset), mul(batch, dim(spec.x.strides[0]!))), mul(mul(grp, C), dim(spec.x.strides[1]!)))),
      wItem: kb.let('w_item', add(dim(spec.w.offset), mul(add(groupRow, m0), dim(spec.w.strides[0]!)))),
      vectors,
    };
    const vtype = `f32x${lanes}` as 'f32x4';
    const panel = kb.array('panel', vtype, channelsPerBlock * taps * vecs, 'private');
    const partial = blocked ? kb.array('partial', vtype, rowsPerItem * vecs, 'private') : undefined;
    // At least one block, so C = 0 still stores (bias through the epilogue).
    kb.loop('c0', i32(0), max(C, i32(1)), 'serial', (c0) => {
      const cEnd = kb.let('c_end', min(add(c0, i32(channelsPerBlock)), C));
      packPanel(ctx, panel, c0, cEnd);
      const kStart = kb.let('k_start', mul(c0, i32(taps)));
      const kEnd = kb.let('k_end', mul(cEnd, i32(taps)));
      forRowTiles(ctx, m0, rowsHere, mr, (rt, rows, aRow0, aOffsets) => {
        const saved = partial === undefined ? undefined : {
          partial, first: c0, last: cEnd, slot: (i: number, j: number): Expr => add(mul(add(rt, i32(i)), i32(vecs)), i32(j)),
        };
        emitTile(ctx, rows, aRow0, aOffsets, panel, kStart, kEnd, saved);
      });
    }, channelsPerBlock);
  });

  const kernel = kb.finish();
  const buffers: Record<string, string> = { [X.name]: spec.x.value, [W.name]: spec.w.value, [O.name]: spec.out.value };
  if (Bias && spec.bias) buffers[Bias.name] = spec.bias.value;
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return { kernel, buffers, uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/**
 * Packs input channels [c0, cEnd) of the panel: element ((c − c0)·taps + tap)·vecs + j holds
 * the tap's input for vector j's four positions (zero where the tap falls in the padding).
 * Per tap, when every vector of the panel is inside the input (the usual case), one channel
 * loop copies all of them; otherwise each vector gets its own loop, lane by lane at the edges.
 */
function packPanel(ctx: PanelContext, panel: string, c0: Expr, cEnd: Expr): void {
  const { kb, spec, dim } = ctx;
  const spatial = spec.xShape.length - 2;
  const kernelDims = spec.wShape.slice(2);
  const vecs = ctx.vectors.length;
  const xBlock = kb.let('x_block', add(ctx.xGroup, mul(c0, dim(spec.x.strides[1]!))));
  const end = kb.let('panel_end', mul(sub(cEnd, c0), i32(ctx.taps * vecs)));
  const axes = (d: number, tap: Expr, ks: readonly Expr[]): void => {
    if (d === spatial) {
      const start = kb.let('tap_start', mul(tap, i32(vecs)));
      const tapsAt = ctx.vectors.map((v) => tapGeometry(ctx, v, ks, xBlock));
      kb.when(tapsAt.map((t) => t.inside).reduce((x, y) => and(x, y)), () => {
        copyChannels(ctx, panel, start, end, (offset) => tapsAt.map((t) => insideValue(ctx, t.src, offset)));
      }, () => tapsAt.forEach((t, j) => {
        const first = add(start, i32(j));
        kb.when(t.inside, () => copyChannels(ctx, panel, first, end, (offset) => [insideValue(ctx, t.src, offset)]), () => {
          packEdge(ctx, panel, ctx.vectors[j]!, ks, xBlock, first, end);
        });
      }));
      return;
    }
    kb.loop(`k${d}`, i32(0), dim(kernelDims[d]!), 'serial', (k) => {
      axes(d + 1, d === 0 ? k : kb.let('tap', add(mul(tap, dim(kernelDims[d]!)), k)), [...ks, k]);
    });
  };
  axes(0, i32(0), []);
}

/** Input coordinate on spatial axis d of the tap `ks` for output coordinates `coords`. */
function inputAt(ctx: PanelContext, coords: readonly Expr[], ks: readonly Expr[], d: number): Expr {
  const { strides, pads, dilations } = ctx.spec.attrs;
  return add(sub(mul(coords[d]!, i32(strides[d]!)), i32(pads[d]!)), mul(ks[d]!, i32(dilations[d]!)));
}

function insideInput(ctx: PanelContext, at: readonly Expr[]): Expr {
  return at.map((a, d) => and(ge(a, i32(0)), lt(a, ctx.dim(ctx.spec.xShape[2 + d]!)))).reduce((a, b) => and(a, b));
}

/** Where a tap reads for one panel vector: whether all its lanes are inside the input (then from `src` on). */
interface TapGeometry {
  readonly inside: Expr;
  readonly src: Expr;
}

function tapGeometry(ctx: PanelContext, v: PanelVector, ks: readonly Expr[], xBlock: Expr): TapGeometry {
  const { kb, spec, dim, lanes } = ctx;
  const last = ks.length - 1;
  const at = v.coords.map((_, d) => kb.let(`in${d}`, inputAt(ctx, v.coords, ks, d)));
  const lastLaneInside = lt(add(at[last]!, i32((lanes - 1) * spec.attrs.strides[last]!)), dim(spec.xShape[2 + last]!));
  return {
    inside: kb.let('tap_inside', and(v.inRow, and(insideInput(ctx, at), lastLaneInside))),
    // Meaningful only when inside (out of range otherwise, and then never read).
    src: kb.let('src', add(xBlock, at.map((a, d) => mul(a, dim(spec.x.strides[2 + d]!))).reduce((a, b) => add(a, b)))),
  };
}

/** The vector a tap reads for four positions of one row, all inside the input, from channel offset `offset`. */
function insideValue(ctx: PanelContext, src: Expr, offset: Expr): Expr {
  const { spec, lanes } = ctx;
  const last = spec.xShape.length - 3;
  const base = add(src, offset);
  if (spec.attrs.strides[last] === 1 && isConst(spec.x.strides[2 + last]!, 1)) return cast(load(ctx.X, base, lanes), `f32x${lanes}` as 'f32x4');
  const xLastStride = ctx.dim(spec.x.strides[2 + last]!);
  return vectorOfLanes(Array.from({ length: lanes }, (_, l) =>
    cast(load(ctx.X, add(base, mul(i32(l * spec.attrs.strides[last]!), xLastStride))), 'f32')));
}

/**
 * For every channel of the block (panel rows `start`, `start` + taps·vecs, … below `end`):
 * panel[row + j] = values(offset of the channel from x_block)[j].
 */
function copyChannels(ctx: PanelContext, panel: string, start: Expr, end: Expr, values: (offset: Expr) => readonly Expr[]): void {
  const { kb, spec } = ctx;
  const offset = kb.let('x_offset', i32(0));
  kb.loop('dst', start, end, 'serial', (dst) => {
    values(offset).forEach((value, j) => kb.emit({ kind: 'array_store', array: panel, index: add(dst, i32(j)), value }));
    kb.set(offset, add(offset, ctx.dim(spec.x.strides[1]!)));
  }, ctx.taps * ctx.vectors.length);
}

/**
 * A panel vector at the padding or across rows: per lane its own position (clamped to the
 * last one: lanes past P are never stored), the tap's input coordinates, whether they are
 * inside, and a clamped index, so every load stays in the buffer and outside lanes get zero.
 */
function packEdge(ctx: PanelContext, panel: string, v: PanelVector, ks: readonly Expr[], xBlock: Expr, start: Expr, end: Expr): void {
  const { kb, spec, dim, lanes } = ctx;
  const outSpatial = spec.outShape.slice(2);
  const lanesAt = Array.from({ length: lanes }, (_, l) => {
    const p = min(add(v.first, i32(l)), sub(ctx.positions, i32(1)));
    const coords = unflatten(kb, p, outSpatial.map(dim), outSpatial.map((_, d) => `q${l}_${d}`));
    const at = coords.map((_, d) => kb.let(`lane_in${d}`, inputAt(ctx, coords, ks, d)));
    const clamped = at.map((a, d) => mul(min(max(a, i32(0)), sub(dim(spec.xShape[2 + d]!), i32(1))), dim(spec.x.strides[2 + d]!)));
    return { valid: kb.let('lane_inside', insideInput(ctx, at)), index: kb.let('lane_src', add(xBlock, clamped.reduce((a, b) => add(a, b)))) };
  });
  copyChannels(ctx, panel, start, end, (offset) => [
    vectorOfLanes(lanesAt.map((l) => select(l.valid, cast(load(ctx.X, add(l.index, offset)), 'f32'), f32(0)))),
  ]);
}

/**
 * Calls `tile` for each register tile of the item's rows [m0, m0 + rowsHere) of the group:
 * whole tiles first (their weight rows one base plus constant offsets), then the remaining
 * rows as one tile whose rows past the group load the last row's weights and are not stored.
 */
function forRowTiles(
  ctx: PanelContext, m0: Expr, rowsHere: Expr, mr: number,
  tile: (rt: Expr, rows: readonly TileRow[], aRow0: Expr, aOffsets: readonly Expr[]) => void,
): void {
  const { kb } = ctx;
  const whole = kb.let('rows_whole', mul(div(rowsHere, i32(mr)), i32(mr)));
  kb.loop('rt', i32(0), whole, 'serial', (rt) => {
    const first = kb.let('row', add(m0, rt));
    const rows = Array.from({ length: mr }, (_, i): TileRow => ({ index: i === 0 ? first : add(first, i32(i)), alwaysValid: true }));
    tile(rt, rows, kb.let('a_row', add(ctx.wItem, mul(rt, ctx.wRowStride))), rows.map((_, i) => mul(i32(i), ctx.wRowStride)));
  }, mr);
  if (mr === 1) return;
  kb.when(lt(whole, rowsHere), () => {
    const first = kb.let('row', add(m0, whole));
    const rows = Array.from({ length: mr }, (_, i): TileRow => ({ index: i === 0 ? first : kb.let('row', add(first, i32(i))), alwaysValid: i === 0 }));
    const offsets = rows.map((r, i) => (i === 0 ? i32(0)
      : kb.let('a_offset', mul(sub(min(r.index, sub(ctx.rowsPerGroup, i32(1))), first), ctx.wRowStride))));
    tile(whole, rows, kb.let('a_row', add(ctx.wItem, mul(whole, ctx.wRowStride))), offsets);
  });
}

/** Where a K-blocked tile keeps its partial sums between channel blocks. */
interface PartialSums {
  readonly partial: string;
  readonly slot: (row: number, vec: number) => Expr;
  /** The block's first channel: the first block starts from zero, later ones from the partial sums. */
  readonly first: Expr;
  /** The block's end channel: the last block stores, earlier ones save. */
  readonly last: Expr;
}

/**
 * An mr × nr register tile over k in [kStart, kEnd): per step nr/4 panel vectors, one weight
 * splat per row, mr·nr/4 FMAs; the loop runs over row 0's weight index itself (the other
 * rows are it plus constants) and the panel row advances by one add, as in the matmul.
 */
function emitTile(
  ctx: PanelContext, rows: readonly TileRow[], aRow0: Expr, aOffsets: readonly Expr[], panel: string, kStart: Expr, kEnd: Expr,
  saved: PartialSums | undefined,
): void {
  const { kb, lanes } = ctx;
  const vecs = ctx.vectors.length;
  const vtype = `f32x${lanes}` as 'f32x4';
  const acc = rows.map(() => Array.from({ length: vecs }, (_, j) => kb.let(`acc_${j}`, splat(f32(0), lanes))));
  if (saved) {
    kb.when(gt(saved.first, i32(0)), () => {
      acc.forEach((accRow, i) => accRow.forEach((a, j) => kb.set(a, arrayLoad(saved.partial, vtype, saved.slot(i, j)))));
    });
  }
  const pRow = kb.let('p_row', i32(0));
  kb.loop('ka', add(aRow0, kStart), add(aRow0, kEnd), 'serial', (ka) => {
    const b = Array.from({ length: vecs }, (_, j) => kb.let(`b${j}`, arrayLoad(panel, vtype, add(pRow, i32(j)))));
    aOffsets.forEach((offset, i) => {
      const a = kb.let(`a${i}`, splat(cast(load(ctx.W, add(ka, offset)), 'f32'), lanes));
      acc[i]!.forEach((accV, j) => kb.set(accV, fma(a, b[j]!, accV)));
    });
    kb.set(pRow, add(pRow, i32(vecs)));
  });
  const storeAll = (): void => rows.forEach((row, i) => {
    const emit = (): void => acc[i]!.forEach((a, j) => storeVector(ctx, add(ctx.groupRow, row.index), ctx.vectors[j]!, a));
    if (row.alwaysValid) emit();
    else kb.when(lt(row.index, ctx.rowsPerGroup), emit);
  });
  if (!saved) {
    storeAll();
    return;
  }
  kb.when(lt(saved.last, ctx.channels), () => {
    acc.forEach((accRow, i) => accRow.forEach((a, j) => kb.emit({ kind: 'array_store', array: saved.partial, index: saved.slot(i, j), value: a })));
  }, storeAll);
}

function outIndex(ctx: PanelContext, m: Expr, position: Expr): Expr {
  return add(mul(add(mul(ctx.batch, ctx.dim(ctx.spec.wShape[0]!)), m), ctx.positions), position);
}

function biasOf(ctx: PanelContext, m: Expr): Expr {
  const { dim, spec } = ctx;
  return cast(load(ctx.Bias!, add(dim(spec.bias!.offset), mul(m, dim(spec.bias!.strides[0]!)))), 'f32');
}

/**
 * Stores output channel m at vector v's positions from an f32x4 accumulator: one vector
 * store where all lanes are positions < P (the epilogue on f32x4 where it vectorises, which
 * needs them in one row: it sees spatial coordinates), else lane by lane.
 */
function storeVector(ctx: PanelContext, m: Expr, v: PanelVector, acc: Expr): void {
  const { kb, spec, lanes } = ctx;
  const byLanes = (): void => {
    for (let l = 0; l < lanes; l++) {
      const position = add(v.first, i32(l));
      kb.when(lt(position, ctx.positions), () => storeElement(ctx, m, position, kb.let('acc_lane', lane(acc, l))));
    }
  };
  const biased = (): Expr => (ctx.Bias && spec.bias ? add(acc, splat(biasOf(ctx, m), lanes)) : acc);
  if (!spec.epilogue) {
    kb.when(le(add(v.first, i32(lanes)), ctx.positions), () => kb.emit(storeConverted(ctx.O, outIndex(ctx, m, v.first), biased())), byLanes);
    return;
  }
  if (!ctx.vectorEpilogue) {
    byLanes();
    return;
  }
  kb.when(v.inRow, () => {
    const vectorVar = v.coords[v.coords.length - 1]!;
    if (vectorVar.kind !== 'var') throw new Error('conv-panel: the last output coordinate is not a variable');
    const index = { batch: [ctx.batch], row: m, col: v.first, spatial: v.coords };
    const value = spec.epilogue!(kb, kb.let('acc_biased', biased()), index, ctx.uniforms, { vectorVar: vectorVar.name });
    kb.emit(storeConverted(ctx.O, outIndex(ctx, m, v.first), value));
  }, byLanes);
}

/** Stores output (batch, m, position) = epilogue(acc + bias[m]) for one f32 value. */
function storeElement(ctx: PanelContext, m: Expr, position: Expr, acc: Expr): void {
  const { kb, spec } = ctx;
  let value = acc;
  if (ctx.Bias && spec.bias) value = add(value, biasOf(ctx, m));
  if (spec.epilogue) value = spec.epilogue(kb, value, { batch: [ctx.batch], row: m, col: position }, ctx.uniforms);
  kb.emit(storeConverted(ctx.O, outIndex(ctx, m, position), value));
}
