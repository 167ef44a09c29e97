// Attention to Kernel IR, CPU (WASM) schedule, one key at a time: an online softmax, so no
// Sq × Skv buffer ever exists (semantics: compiler/interpret/kernels/attention.ts). The
// fallback of attention.ts for what the blocked schedule (attention-flash.ts) does not take: a
// head dim known only at run time (the GPU adapter's path), targets without 4-lane vectors,
// and heads of fewer than 4 query rows (a decode step), where 4-row lanes would idle.
//
// A work item owns (batch, kv head, block of rows), where the rows of a kv head are its query
// heads' query rows, query-major: row t is query i = t / G of head kvHead·G + t % G, G =
// Hq/Hkv. Grouped heads thus share each K/V load (decode with GQA puts all G heads of a kv
// head in one block), and multi-head attention (G = 1) blocks consecutive query rows.
//
// Per key j, each row r computes s = q·k·scale (+ float mask, or -inf where a bool mask is
// false), then updates its running max m, running sum l and accumulator acc[Dv] (a private
// array): when s > m, l and acc are rescaled by exp(m - s) and m = s; then p = exp(s - m),
// l += p, acc += p·v. The output is acc / l, or 0 for a row that saw no finite score (l = 0),
// as the reference does. Causal attention stops the key loop at the block's last diagonal
// and compares per row only in the band between the block's first and last diagonals.
// Rows past the end are computed on clamped indices and never stored.

import { constValue, divDim, isConst, mulDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, arrayLoad, cast, div, eq, f32, fma, gt, i32, le, load, lt, max, min, mul, reduceLanes, select,
  splat, sub, unary,
} from '../kernel/builder.js';
import type { BufferParam, Expr, KType } from '../kernel/ir.js';
import type { TargetDescription } from '../kernel/program.js';
import { chooseAttentionBlock } from '../schedule/tiles.js';
import type { AttentionSpec, LoweredKernel, StridedOperand } from './specs.js';
import { storeConverted, strideDimFromEnd, stridedBase } from './strided-index.js';
import { emitAttentionItems, type AttentionRow } from './attention-rows.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';

/** One row of a block: its query, head, and the bases of its q, mask and output rows. */
interface BlockRow extends AttentionRow {
  readonly max: Expr;
  readonly sum: Expr;
}

interface AttentionContext {
  readonly kb: KernelBuilder;
  readonly spec: AttentionSpec;
  readonly Q: BufferParam;
  readonly K: BufferParam;
  readonly V: BufferParam;
  readonly mask: BufferParam | undefined;
  readonly rows: readonly BlockRow[];
  readonly kBase: Expr;
  readonly vBase: Expr;
  readonly kRowStride: Expr;
  readonly vRowStride: Expr;
  readonly qDStride: Expr;
  readonly kDStride: Expr;
  readonly vDStride: Expr;
  readonly maskKeyStride: Expr | undefined;
  readonly dk: Expr;
  /** Lanes of the q·k products (4 when q and k rows are contiguous and Dk a multiple of 4). */
  readonly kLanes: number;
  /** Lanes of the accumulator (4 when v rows are contiguous and Dv a multiple of 4). */
  readonly vLanes: number;
  readonly dvVectors: number;
  readonly acc: string;
  /** Skv - Sq: key j is visible to query i when j <= i + diagonal. */
  readonly diagonal: Expr;
}

const NEG_INF = f32(-Infinity);

function vec(lanes: number): KType {
  return lanes === 1 ? 'f32' : (`f32x${lanes}` as KType);
}

function broadcast(x: Expr, lanes: number): Expr {
  return lanes === 1 ? x : splat(x, lanes);
}

function contiguous(op: StridedOperand): boolean {
  return isConst(strideDimFromEnd(op, 1), 1);
}

export function lowerAttentionPerKey(spec: AttentionSpec, target: TargetDescription): LoweredKernel {
  const dvConst = constValue(spec.dv);
  // The accumulator is a private array, whose size is fixed when the kernel is built.
  if (dvConst === undefined) throw new Error('lowerAttention: the value head dim must be a constant');
  const dkConst = constValue(spec.dk);
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const Q = kb.buffer(spec.q.value, spec.q.dtype, 'read');
  const K = kb.buffer(spec.k.value, spec.k.dtype, 'read');
  const V = kb.buffer(spec.v.value, spec.v.dtype, 'read');
  const M = spec.mask && kb.buffer(spec.mask.value, spec.mask.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');
  const lanes = target.vectorLanes;
  const kLanes = lanes > 1 && dkConst !== undefined && dkConst % lanes === 0 && contiguous(spec.q) && contiguous(spec.k) ? lanes : 1;
  const vLanes = lanes > 1 && dvConst % lanes === 0 && contiguous(spec.v) ? lanes : 1;

  const rowsPerHead = mulDim(divDim(spec.hq, spec.hkv), spec.sq);
  const blockRows = chooseAttentionBlock(target, constValue(rowsPerHead), dkConst, dvConst).rows;

  const gridDim = emitAttentionItems(kb, spec, uniforms, blockRows, ({ batch, kvHead, rows: baseRows, rowsTotal, sq: Sq }) => {
    const rows: BlockRow[] = baseRows.map((row, r) => ({
      ...row, max: kb.let(`max${r}`, NEG_INF), sum: kb.let(`sum${r}`, f32(0)),
    }));

    const dvVectors = dvConst / vLanes;
    const acc = kb.array('acc', vec(vLanes), blockRows * dvVectors, 'private');
    kb.loop('a', i32(0), i32(blockRows * dvVectors), 'serial', (a) => {
      kb.emit({ kind: 'array_store', array: acc, index: a, value: broadcast(f32(0), vLanes) });
    });

    const kvBase = (op: StridedOperand, name: string): Expr =>
      kb.let(name, add(stridedBase(kb, op, batch, uniforms), mul(kvHead, dim(strideDimFromEnd(op, 3)))));
    const Skv = dim(spec.skv);
    const ctx: AttentionContext = {
      kb, spec, Q, K, V, mask: M, rows,
      kBase: kvBase(spec.k, 'k_head'), vBase: kvBase(spec.v, 'v_head'),
      kRowStride: dim(strideDimFromEnd(spec.k, 2)), vRowStride: dim(strideDimFromEnd(spec.v, 2)),
      qDStride: dim(strideDimFromEnd(spec.q, 1)), kDStride: dim(strideDimFromEnd(spec.k, 1)),
      vDStride: dim(strideDimFromEnd(spec.v, 1)),
      maskKeyStride: spec.mask && dim(strideDimFromEnd(spec.mask, 1)),
      dk: dim(spec.dk), kLanes, vLanes, dvVectors, acc,
      diagonal: kb.let('diagonal', sub(Skv, Sq)),
    };

    if (!spec.causal) {
      kb.loop('key', i32(0), Skv, 'serial', (j) => emitKey(ctx, j, false));
    } else {
      // Keys every row of the block sees, then the band up to the last row's diagonal.
      const lastRow = rows[rows.length - 1]!;
      const clampKeys = (x: Expr): Expr => max(i32(0), min(x, Skv));
      const shared = kb.let('keys_shared', clampKeys(add(add(rows[0]!.query, ctx.diagonal), i32(1))));
      const end = kb.let('keys_end', clampKeys(add(add(lastRow.query, ctx.diagonal), i32(1))));
      kb.loop('key', i32(0), shared, 'serial', (j) => emitKey(ctx, j, false));
      kb.loop('key', shared, end, 'serial', (j) => emitKey(ctx, j, true));
    }

    // acc / l, or zeros for a row that saw no finite score.
    rows.forEach((row, r) => {
      const emit = (): void => {
        const inv = kb.let(`inv${r}`, select(eq(row.sum, f32(0)), f32(0), div(f32(1), row.sum)));
        const invV = broadcast(inv, vLanes);
        kb.loop('d', i32(0), i32(dvVectors), 'serial', (d) => {
          const value = mul(arrayLoad(acc, vec(vLanes), add(i32(r * dvVectors), d)), invV);
          kb.emit(storeConverted(O, add(row.outBase, mul(d, i32(vLanes))), value));
        });
      };
      if (row.alwaysValid) emit();
      else kb.when(lt(row.row, rowsTotal), emit);
    });
  });

  const buffers: Record<string, string> = { [Q.name]: spec.q.value, [K.name]: spec.k.value, [V.name]: spec.v.value, [O.name]: spec.out.value };
  if (M && spec.mask) buffers[M.name] = spec.mask.value;
  return { kernel: kb.finish(), buffers, uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/** One key for every row of the block: scores, online-softmax update, accumulation of v. */
function emitKey(ctx: AttentionContext, j: Expr, checkDiagonal: boolean): void {
  const { kb, rows, kLanes, vLanes } = ctx;
  const kRow = kb.let('k_row', add(ctx.kBase, mul(j, ctx.kRowStride)));
  const vRow = kb.let('v_row', add(ctx.vBase, mul(j, ctx.vRowStride)));

  // s = q·k for every row, sharing each loaded piece of k.
  const dots = rows.map((_, r) => kb.let(`dot${r}`, broadcast(f32(0), kLanes)));
  const kSteps = kLanes === 1 ? ctx.dk : div(ctx.dk, i32(kLanes));
  kb.loop('c', i32(0), kSteps, 'serial', (c) => {
    const d = mul(c, i32(kLanes));
    const k = kb.let('k', cast(load(ctx.K, add(kRow, mul(d, ctx.kDStride)), kLanes), vec(kLanes)));
    rows.forEach((row, r) => {
      const q = cast(load(ctx.Q, add(row.qBase, mul(d, ctx.qDStride)), kLanes), vec(kLanes));
      kb.set(dots[r]!, fma(q, k, dots[r]!));
    });
  });

  const probs = rows.map((row, r) => {
    const dot = kLanes === 1 ? dots[r]! : reduceLanes('add', dots[r]!);
    let s = mul(dot, f32(ctx.spec.scale));
    if (ctx.mask && row.maskBase && ctx.maskKeyStride) {
      const m = load(ctx.mask, add(row.maskBase, mul(j, ctx.maskKeyStride)));
      s = ctx.mask.dtype === 'bool' ? select(m, s, NEG_INF) : add(s, cast(m, 'f32'));
    }
    if (checkDiagonal) s = select(le(j, add(row.query, ctx.diagonal)), s, NEG_INF);
    const score = kb.let(`score${r}`, s);
    // A larger max rescales what was summed so far.
    kb.when(gt(score, row.max), () => {
      const corr = kb.let(`corr${r}`, unary('exp', sub(row.max, score)));
      kb.set(row.sum, mul(row.sum, corr));
      const corrV = broadcast(corr, vLanes);
      kb.loop('d', i32(0), i32(ctx.dvVectors), 'serial', (d) => {
        const slot = add(i32(r * ctx.dvVectors), d);
        kb.emit({ kind: 'array_store', array: ctx.acc, index: slot, value: mul(arrayLoad(ctx.acc, vec(vLanes), slot), corrV) });
      });
      kb.set(row.max, score);
    });
    // exp(-inf - -inf) would be NaN: a masked score adds nothing, as in the reference.
    const p = kb.let(`p${r}`, select(eq(score, NEG_INF), f32(0), unary('exp', sub(score, row.max))));
    kb.set(row.sum, add(row.sum, p));
    return kb.let(`p${r}_v`, broadcast(p, vLanes));
  });

  // acc += p·v, sharing each loaded piece of v.
  kb.loop('d', i32(0), i32(ctx.dvVectors), 'serial', (d) => {
    const v = kb.let('v', cast(load(ctx.V, add(vRow, mul(mul(d, i32(vLanes)), ctx.vDStride)), vLanes), vec(vLanes)));
    rows.forEach((_, r) => {
      const slot = add(i32(r * ctx.dvVectors), d);
      kb.emit({ kind: 'array_store', array: ctx.acc, index: slot, value: fma(probs[r]!, v, arrayLoad(ctx.acc, vec(vLanes), slot)) });
    });
  });
}
