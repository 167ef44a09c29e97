// Convolution (NC + 1 to 3 spatial axes) to Kernel IR, CPU (WASM) schedule: an implicit GEMM
// out[n, m, p] = bias[m] + Σ_{c, taps} w[m, c, tap] · x[n, g·Cg + c, o(p)·stride - pad + tap·dilation]
// computed by register tiles of mr output channels × nr output positions, the input gathered
// per tap with taps in the padding reading zero (an `if`, so no load leaves the buffer).
// The epilogue (fused ops after the conv) sees bias-added values, per element at store time.
//
// Semantics: compiler/interpret/kernels/conv.ts. A tile's channels stay within one group, so
// its gathered inputs are shared by all its rows. lowerConv picks the schedule: the packed
// panel (conv-panel.ts: the matmul micro-kernel over an im2col panel) wherever the weights are
// contiguous along K and a group has enough output channels, or the row schedule cannot take
// the conv; the row schedule (conv-rows.ts) for thin groups and depthwise convs with stride 1
// along a contiguous last axis; this scalar tile for the rest (no vectors on the target,
// weights not contiguous along K, a kernel size unknown at compile time).

import { ceilDivDim, constDim, constValue, divDim, mulDim, type Dim } from '../ir/dim.js';
import { KernelBuilder, add, and, cast, div, f32, fma, ge, i32, load, lt, min, mul, sub } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import type { TargetDescription } from '../kernel/program.js';
import { lowerConvGpu } from './gpu/conv.js';
import { chooseScalarTile } from '../schedule/tiles.js';
import { canLowerConvPanel, lowerConvPanel } from './conv-panel.js';
import { canLowerConvRows, lowerConvRows } from './conv-rows.js';
import type { ConvSpec, LoweredKernel } from './specs.js';
import { storeConverted, unflatten } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';

function gcd(a: number, b: number): number {
  while (b) [a, b] = [b, a % b];
  return a;
}

/** One output position of a tile: its flat index and, per spatial axis, the input coordinate of tap 0. */
interface TilePosition {
  readonly index: Expr;
  readonly alwaysValid: boolean;
  readonly origin: readonly Expr[];
}

export function lowerConv(spec: ConvSpec, target: TargetDescription): LoweredKernel {
  if (target.name !== 'wasm') return lowerConvGpu(spec, target);
  if (canLowerConvPanel(spec, target)) return lowerConvPanel(spec, target);
  if (canLowerConvRows(spec, target)) return lowerConvRows(spec, target);
  const spatial = spec.xShape.length - 2;
  const { strides, pads, dilations, group } = spec.attrs;
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
  const positions = outSpatial.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
  const tile = chooseScalarTile(target, constValue(channels), constValue(positions));
  // Rows of a tile share one group (and so their gathered inputs).
  const perGroup = constValue(channelsPerGroup);
  const mr = group === 1 ? tile.mr : perGroup !== undefined ? gcd(tile.mr, perGroup) : 1;
  const nr = tile.nr;
  const channelTiles = ceilDivDim(channels, mr);
  const positionTiles = ceilDivDim(positions, nr);
  const gridDim = mulDim(mulDim(spec.xShape[0]!, channelTiles), positionTiles);

  kb.loop('item', i32(0), dim(gridDim), 'grid.x', (item) => {
    const [batch, channelTile, positionTile] = unflatten(kb, item, [dim(spec.xShape[0]!), dim(channelTiles), dim(positionTiles)],
      ['batch', 'channel_tile', 'position_tile']) as [Expr, Expr, Expr];
    const M = dim(channels), P = dim(positions);
    const m0 = kb.let('m0', mul(channelTile, i32(mr)));
    const p0 = kb.let('p0', mul(positionTile, i32(nr)));
    const rows = Array.from({ length: mr }, (_, i) => {
      const m = i === 0 ? m0 : kb.let('m', add(m0, i32(i)));
      const clamped = i === 0 ? m : kb.let('m_clamped', min(m, sub(M, i32(1))));
      return { m, alwaysValid: i === 0, wRow: kb.let('w_row', add(dim(spec.w.offset), mul(clamped, dim(spec.w.strides[0]!)))) };
    });
    const cols: TilePosition[] = Array.from({ length: nr }, (_, j) => {
      const p = j === 0 ? p0 : kb.let('p', add(p0, i32(j)));
      const clamped = j === 0 ? p : kb.let('p_clamped', min(p, sub(P, i32(1))));
      const coords = unflatten(kb, clamped, outSpatial.map(dim), outSpatial.map((_, d) => `o${j}_${d}`));
      const origin = coords.map((o, d) => kb.let(`origin${j}_${d}`, sub(mul(o, i32(strides[d]!)), i32(pads[d]!))));
      return { index: p, alwaysValid: j === 0, origin };
    });
    const firstChannel = kb.let('first_channel', mul(div(m0, dim(channelsPerGroup)), dim(spec.wShape[1]!)));
    const xBatch = kb.let('x_batch', add(dim(spec.x.offset), mul(batch, dim(spec.x.strides[0]!))));
    const acc = rows.map((_, i) => cols.map((_, j) => kb.let(`acc${i}_${j}`, f32(0))));

    kb.loop('c', i32(0), dim(spec.wShape[1]!), 'serial', (c) => {
      const xChannel = kb.let('x_channel', add(xBatch, mul(add(firstChannel, c), dim(spec.x.strides[1]!))));
      const wChannel = rows.map((r) => kb.let('w_channel', add(r.wRow, mul(c, dim(spec.w.strides[1]!)))));
      // One loop per kernel axis; each level adds its axis to the gather index and validity.
      const taps = (d: number, xIndex: readonly Expr[], valid: readonly (Expr | undefined)[], wIndex: readonly Expr[]): void => {
        if (d === spatial) {
          const x = cols.map((_, j) => {
            const v = kb.let(`x${j}`, f32(0));
            const read = (): void => kb.set(v, cast(load(X, xIndex[j]!), 'f32'));
            if (valid[j]) kb.when(valid[j]!, read);
            else read();
            return v;
          });
          rows.forEach((_, i) => {
            const w = kb.let(`w${i}`, cast(load(W, wIndex[i]!), 'f32'));
            cols.forEach((_, j) => kb.set(acc[i]![j]!, fma(w, x[j]!, acc[i]![j]!)));
          });
          return;
        }
        kb.loop(`k${d}`, i32(0), dim(spec.wShape[2 + d]!), 'serial', (k) => {
          const inSize = dim(spec.xShape[2 + d]!);
          const nextX: Expr[] = [], nextValid: (Expr | undefined)[] = [];
          cols.forEach((col, j) => {
            const at = kb.let(`in${j}_${d}`, add(col.origin[d]!, mul(k, i32(dilations[d]!))));
            nextX.push(kb.let(`x_index${j}`, add(xIndex[j]!, mul(at, dim(spec.x.strides[2 + d]!)))));
            const inside = and(ge(at, i32(0)), lt(at, inSize));
            nextValid.push(kb.let(`valid${j}`, valid[j] ? and(valid[j]!, inside) : inside));
          });
          taps(d + 1, nextX, nextValid, wIndex.map((wi) => add(wi, mul(k, dim(spec.w.strides[2 + d]!)))));
        });
      };
      taps(0, cols.map(() => xChannel), cols.map(() => undefined), wChannel);
    });

    rows.forEach((row, i) => cols.forEach((col, j) => {
      const emit = (): void => {
        let value = acc[i]![j]!;
        if (Bias && spec.bias) {
          value = add(value, cast(load(Bias, add(dim(spec.bias.offset), mul(row.m, dim(spec.bias.strides[0]!)))), 'f32'));
        }
        if (spec.epilogue) value = spec.epilogue(kb, value, { batch: [batch], row: row.m, col: col.index }, uniforms);
        kb.emit(storeConverted(O, add(mul(add(mul(batch, M), row.m), P), col.index), value));
      };
      const conds = [row.alwaysValid ? undefined : lt(row.m, M), col.alwaysValid ? undefined : lt(col.index, P)]
        .filter((e): e is Expr => e !== undefined);
      if (conds.length === 0) emit();
      else kb.when(conds.reduce((a, b) => and(a, b)), emit);
    }));
  });

  const kernel = kb.finish();
  const buffers: Record<string, string> = { [X.name]: spec.x.value, [W.name]: spec.w.value, [O.name]: spec.out.value };
  if (Bias && spec.bias) buffers[Bias.name] = spec.bias.value;
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return { kernel, buffers, uniforms: uniformRecord(uniforms), grid: [gridDim] };
}
