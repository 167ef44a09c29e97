// Convolution, CPU (WASM) schedule vectorised along output rows: the implicit GEMM of conv.ts
// with the matmul micro-kernel's register tile (M = output channels, N = output positions of
// one row, K = C·taps). A work item owns mr output channels × one output row (every outer
// spatial coordinate); along the row, positions whose taps all stay inside the input
// (stride 1 along the last axis) run in register tiles of mr × nr with f32x4 accumulators,
// the input read as f32x4 straight from the row and each weight splatted. The few positions
// near the row's ends, whose taps reach the padding, run scalar with per-tap checks, as do
// taps of outer axes that fall in the padding (skipped by one test per tap, not per element).
// Bias and the fused epilogue run on the f32x4 accumulators when the epilogue vectorises
// (vector-epilogue.ts), else lane by lane.
//
// Applies when the last spatial axis has stride 1 and the input is contiguous along it; conv.ts
// uses it for thin groups and depthwise convs, where packing a panel (conv-panel.ts) would
// cost as much as the FMAs. Semantics: compiler/interpret/kernels/conv.ts.

import { ceilDivDim, constDim, constValue, divDim, isConst, mulDim, type Dim } from '../ir/dim.js';
import { KernelBuilder, add, and, cast, div, f32, fma, ge, i32, lane, load, lt, max, min, mul, splat, sub, variable } from '../kernel/builder.js';
import type { BufferParam, Expr } from '../kernel/ir.js';
import type { TargetDescription } from '../kernel/program.js';
import { chooseMatmulTile } from '../schedule/tiles.js';
import type { ConvSpec, LoweredKernel } from './specs.js';
import { storeConverted, unflatten } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { EPILOGUE_LANES, epilogueVectorizes, vectorVariableOf } from './vector-epilogue.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** Whether the row schedule applies: vectors on the target, stride 1 along a contiguous last axis. */
export function canLowerConvRows(spec: ConvSpec, target: TargetDescription): boolean {
  const spatial = spec.xShape.length - 2;
  return target.vectorLanes > 1 && spatial >= 1 && spec.attrs.strides[spatial - 1] === 1 &&
    isConst(spec.x.strides[spec.x.strides.length - 1]!, 1);
}

interface ConvRowContext {
  readonly kb: KernelBuilder;
  readonly spec: ConvSpec;
  readonly uniforms: UniformDims;
  readonly lanes: number;
  /** Whether the epilogue runs on f32x4 accumulators (false: lane by lane). */
  readonly vectorEpilogue: boolean;
  readonly X: BufferParam;
  readonly W: BufferParam;
  readonly O: BufferParam;
  readonly Bias: BufferParam | undefined;
  readonly dim: (d: Dim) => Expr;
  readonly batch: Expr;
  /** Output channels of the tile: index (for stores) and weight row base (clamped, for loads). */
  readonly rows: readonly { readonly m: Expr; readonly alwaysValid: boolean; readonly wRow: Expr }[];
  /** Output coordinates of this row on the outer spatial axes (all but the last). */
  readonly coords: readonly Expr[];
  /** Input coordinate of tap 0 per outer spatial axis (all but the last). */
  readonly origins: readonly Expr[];
  /** First input element of the tile's channel group in this batch. */
  readonly xGroup: Expr;
  /** Flat output index of this row's position 0. */
  readonly rowBase: Expr;
}

export function lowerConvRows(spec: ConvSpec, target: TargetDescription): LoweredKernel {
  const spatial = spec.xShape.length - 2;
  const { group } = spec.attrs;
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const X = kb.buffer(spec.x.value, spec.x.dtype, 'read');
  const W = kb.buffer(spec.w.value, spec.w.dtype, 'read');
  const Bias = spec.bias && kb.buffer(spec.bias.value, spec.bias.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');

  const channels = spec.wShape[0]!;
  const channelsPerGroup = divDim(channels, group);
  const outSpatial = spec.outShape.slice(2);
  const outerSpatial = outSpatial.slice(0, -1);
  const rowLength = outSpatial[spatial - 1]!;
  const reduction = spec.wShape.slice(1).reduce((acc, d) => mulDim(acc, d), constDim(1));
  const tile = chooseMatmulTile(target, constValue(channels), constValue(rowLength), constValue(reduction));
  const perGroup = constValue(channelsPerGroup);
  const mr = group === 1 ? tile.mr : perGroup !== undefined ? gcd(tile.mr, perGroup) : 1;
  const channelTiles = ceilDivDim(channels, mr);
  const outerRows = outerSpatial.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  const gridDim = mulDim(mulDim(spec.xShape[0]!, channelTiles), outerRows);
  const probeVar = (name: string): Expr => variable(name, 'i32');
  const vectorEpilogue = spec.epilogue !== undefined && target.vectorLanes === EPILOGUE_LANES && epilogueVectorizes(spec.epilogue, {
    batch: [probeVar('probe_batch')], row: probeVar('probe_row'), col: probeVar('probe_flat'),
    spatial: [...outerSpatial.map((_, d) => probeVar(`probe_o${d}`)), probeVar('probe_col')],
  }, 'probe_col');

  kb.loop('item', i32(0), dim(gridDim), 'grid.x', (item) => {
    const [batch, channelTile, outerRow] = unflatten(kb, item, [dim(spec.xShape[0]!), dim(channelTiles), dim(outerRows)],
      ['batch', 'channel_tile', 'outer_row']) as [Expr, Expr, Expr];
    const M = dim(channels);
    const m0 = kb.let('m0', mul(channelTile, i32(mr)));
    const rows = Array.from({ length: mr }, (_, i) => {
      const m = i === 0 ? m0 : kb.let('m', add(m0, i32(i)));
      const clamped = i === 0 ? m : kb.let('m_clamped', min(m, sub(M, i32(1))));
      return { m, alwaysValid: i === 0, wRow: kb.let('w_row', add(dim(spec.w.offset), mul(clamped, dim(spec.w.strides[0]!)))) };
    });
    const coords = unflatten(kb, outerRow, outerSpatial.map(dim), outerSpatial.map((_, d) => `o${d}`));
    const origins = coords.map((o, d) => kb.let(`origin${d}`, sub(mul(o, i32(spec.attrs.strides[d]!)), i32(spec.attrs.pads[d]!))));
    const firstChannel = mul(div(m0, dim(channelsPerGroup)), dim(spec.wShape[1]!));
    const xGroup = kb.let('x_group', add(add(dim(spec.x.offset), mul(batch, dim(spec.x.strides[0]!))), mul(firstChannel, dim(spec.x.strides[1]!))));
    const rowBase = kb.let('row_base', mul(outerRow, dim(rowLength)));
    const ctx: ConvRowContext = {
      kb, spec, uniforms, lanes: target.vectorLanes, vectorEpilogue, X, W, O, Bias, dim, batch, rows, coords, origins, xGroup, rowBase,
    };

    // Positions [left, right) have every tap of the last axis inside the input.
    const last = spatial - 1;
    const ow = dim(rowLength);
    const pad = spec.attrs.pads[last]!;
    const reach = kb.let('reach', mul(sub(dim(spec.wShape[2 + last]!), i32(1)), i32(spec.attrs.dilations[last]!)));
    const left = kb.let('left', min(ow, i32(pad)));
    const right = kb.let('right', max(left, min(ow, sub(add(dim(spec.xShape[2 + last]!), i32(pad)), reach))));
    const lanes = ctx.lanes;
    const nr = tile.nr;
    kb.loop('p', i32(0), left, 'serial', (p) => emitPositions(ctx, p, 1, false));
    kb.loop('p', left, sub(right, i32(nr - 1)), 'serial', (p) => emitPositions(ctx, p, nr / lanes, true), nr);
    const afterTiles = kb.let('after_tiles', add(left, mul(div(sub(right, left), i32(nr)), i32(nr))));
    kb.loop('p', afterTiles, sub(right, i32(lanes - 1)), 'serial', (p) => emitPositions(ctx, p, 1, true), lanes);
    const afterVectors = kb.let('after_vectors', add(afterTiles, mul(div(sub(right, afterTiles), i32(lanes)), i32(lanes))));
    kb.loop('p', afterVectors, ow, 'serial', (p) => emitPositions(ctx, p, 1, false));
  });

  const kernel = kb.finish();
  const buffers: Record<string, string> = { [X.name]: spec.x.value, [W.name]: spec.w.value, [O.name]: spec.out.value };
  if (Bias && spec.bias) buffers[Bias.name] = spec.bias.value;
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return { kernel, buffers, uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/**
 * Output positions [p, p + vecs·lanes) of the row for the tile's channels. `vector`: f32x4
 * accumulators, and every tap of the last axis is known to be inside the input; otherwise
 * one scalar position (vecs = 1) with per-tap checks.
 */
function emitPositions(ctx: ConvRowContext, p: Expr, vecs: number, vector: boolean): void {
  const { kb, spec, dim, rows, X, W } = ctx;
  const spatial = spec.xShape.length - 2;
  const last = spatial - 1;
  const width = vector ? ctx.lanes : 1;
  const vtype = vector ? (`f32x${ctx.lanes}` as 'f32x4') : 'f32';
  const zero = vector ? splat(f32(0), ctx.lanes) : f32(0);
  const acc = rows.map((_, i) => Array.from({ length: vecs }, (_, j) => kb.let(`acc${i}_${j}`, zero)));
  const originLast = kb.let('origin_last', sub(p, i32(spec.attrs.pads[last]!)));

  kb.loop('c', i32(0), dim(spec.wShape[1]!), 'serial', (c) => {
    const xChannel = kb.let('x_channel', add(ctx.xGroup, mul(c, dim(spec.x.strides[1]!))));
    const wChannel = rows.map((r) => kb.let('w_channel', add(r.wRow, mul(c, dim(spec.w.strides[1]!)))));
    // Outer axes: one loop per kernel axis, a tap in the padding skipped whole.
    const outer = (d: number, xIndex: Expr, wIndex: readonly Expr[]): void => {
      if (d === last) {
        innermost(xIndex, wIndex);
        return;
      }
      kb.loop(`k${d}`, i32(0), dim(spec.wShape[2 + d]!), 'serial', (k) => {
        const at = kb.let(`in${d}`, add(ctx.origins[d]!, mul(k, i32(spec.attrs.dilations[d]!))));
        kb.when(and(ge(at, i32(0)), lt(at, dim(spec.xShape[2 + d]!))), () => {
          const nextX = kb.let(`x_index${d}`, add(xIndex, mul(at, dim(spec.x.strides[2 + d]!))));
          outer(d + 1, nextX, wIndex.map((wi) => kb.let(`w_index${d}`, add(wi, mul(k, dim(spec.w.strides[2 + d]!))))));
        });
      });
    };
    const innermost = (xIndex: Expr, wIndex: readonly Expr[]): void => {
      const tap = (k: Expr): void => {
        const at = kb.let('in_last', add(originLast, mul(k, i32(spec.attrs.dilations[last]!))));
        const xAt = add(xIndex, at); // the last axis is contiguous (canLowerConvRows)
        const x = Array.from({ length: vecs }, (_, j) => {
          if (vector) return kb.let(`x${j}`, cast(load(X, add(xAt, i32(j * width)), width), vtype));
          const v = kb.let(`x${j}`, f32(0));
          kb.when(and(ge(at, i32(0)), lt(at, dim(spec.xShape[2 + last]!))), () => kb.set(v, cast(load(X, xAt), 'f32')));
          return v;
        });
        rows.forEach((_, i) => {
          const scalar = cast(load(W, add(wIndex[i]!, mul(k, dim(spec.w.strides[2 + last]!)))), 'f32');
          const w = kb.let(`w${i}`, vector ? splat(scalar, width) : scalar);
          acc[i]!.forEach((a, j) => kb.set(a, fma(w, x[j]!, a)));
        });
      };
      // Small constant kernels are unrolled: a 3-wide tap loop would cost as much as its FMAs.
      const taps = constValue(spec.wShape[2 + last]!);
      if (taps !== undefined && taps <= 7) for (let k = 0; k < taps; k++) tap(i32(k));
      else kb.loop('k_last', i32(0), dim(spec.wShape[2 + last]!), 'serial', tap);
    };
    outer(0, xChannel, wChannel);
  });

  rows.forEach((row, i) => {
    const emit = (): void => acc[i]!.forEach((a, j) => {
      const col = add(p, i32(j * width));
      if (!vector) return storeElement(ctx, row.m, col, a);
      if (!spec.epilogue && !ctx.Bias) {
        kb.emit(storeConverted(ctx.O, outIndex(ctx, row.m, col), a));
        return;
      }
      const vectorVar = !spec.epilogue || ctx.vectorEpilogue ? vectorVariableOf(col) : undefined;
      if (vectorVar !== undefined) return storeVector(ctx, row.m, col, a, vectorVar);
      for (let l = 0; l < width; l++) storeElement(ctx, row.m, add(col, i32(l)), kb.let('acc_lane', lane(a, l)));
    });
    if (row.alwaysValid) emit();
    else kb.when(lt(row.m, dim(spec.wShape[0]!)), emit);
  });
}

function outIndex(ctx: ConvRowContext, m: Expr, col: Expr): Expr {
  const { dim, spec } = ctx;
  const positions = spec.outShape.slice(2).reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  return add(mul(add(mul(ctx.batch, dim(spec.wShape[0]!)), m), dim(positions)), add(ctx.rowBase, col));
}

function biasOf(ctx: ConvRowContext, m: Expr): Expr {
  const { dim, spec } = ctx;
  return cast(load(ctx.Bias!, add(dim(spec.bias!.offset), mul(m, dim(spec.bias!.strides[0]!)))), 'f32');
}

/** Stores output positions col … col+3 = epilogue(acc + bias[m]) from an f32x4 accumulator. */
function storeVector(ctx: ConvRowContext, m: Expr, col: Expr, acc: Expr, vectorVar: string): void {
  const { kb, spec } = ctx;
  let value = acc;
  if (ctx.Bias && spec.bias) value = add(value, splat(biasOf(ctx, m), ctx.lanes));
  if (spec.epilogue) {
    const index = { batch: [ctx.batch], row: m, col: add(ctx.rowBase, col), spatial: [...ctx.coords, col] };
    value = spec.epilogue(kb, kb.let('acc_biased', value), index, ctx.uniforms, { vectorVar });
  }
  kb.emit(storeConverted(ctx.O, outIndex(ctx, m, col), value));
}

/** Stores output (batch, m, row position col) = epilogue(acc + bias[m]). */
function storeElement(ctx: ConvRowContext, m: Expr, col: Expr, acc: Expr): void {
  const { kb, spec, dim } = ctx;
  let value = acc;
  if (ctx.Bias && spec.bias) value = add(value, biasOf(ctx, m));
  if (spec.epilogue) value = spec.epilogue(kb, value, { batch: [ctx.batch], row: m, col: add(ctx.rowBase, col) }, ctx.uniforms);
  kb.emit(storeConverted(ctx.O, outIndex(ctx, m, col), value));
}
