// Attention to Kernel IR, CPU (WASM) schedule, blocked: flash attention with query rows along
// the vector lanes (semantics: compiler/interpret/kernels/attention.ts). No Sq × Skv buffer
// exists; a work item keeps O(Bc + Dk + Dv) vectors of scratch.
//
// A work item owns (batch, kv head, block of 4·nv rows), rows ordered as in the per-key
// schedule (attention-per-key.ts): row t of a kv head is query t / G of head kvHead·G + t % G,
// G = Hq/Hkv, so the G query heads of a GQA group share every K/V load. Lane i of row vector
// v is row 4v + i. Once per item, q·scale is copied transposed into qT[d][v] (a vector per
// head-dim entry and row vector). Then keys advance Bc at a time:
//   scores  s[j][v] = Σ_d splat(k[j][d]) · qT[d][v]: a register tile of scoreKeys keys × nv
//           vectors, like a matmul vectorised along N (N = the block's rows); plus the float
//           mask, or -inf where a bool mask is false or (checked blocks only) past a row's
//           diagonal or past Skv; the block's max per row kept on the way;
//   softmax one rescale per block: m' = max(m, block max), α = exp(m − m'), p = exp(s − m')
//           on f32x4, l = l·α + Σp (m' taken as 0 while a row has seen no finite score, so
//           exp never sees −inf − −inf);
//   values  accT[e][v] = accT[e][v]·α + Σ_j splat(v[j][e]) · p[j][v]: a register tile of
//           valueDims Dv entries × nv vectors per sweep of the block's keys.
// The output is accT / l, stored lane by lane (0 for a row that saw no finite score). Blocks
// wholly below every row's diagonal (all blocks without a causal mask, but the last partial
// one) skip the per-lane checks; causal attention stops at the block's last diagonal. Rows
// past the end are computed on clamped indices and never stored; a checked block scores only
// whole tiles up to its last visible key, and keys past Skv are loaded clamped, score -inf
// and never enter the value sweep.

import { constValue, divDim, mulDim, type Dim } from '../ir/dim.js';
import {
  KernelBuilder, add, arrayLoad, cast, div, eq, f32, fma, i32, lane, le, load, lt, max, min, mul, select, splat, sub,
  unary, vectorOfLanes,
} from '../kernel/builder.js';
import type { BufferParam, Expr } from '../kernel/ir.js';
import type { AttentionFlashBlock } from '../schedule/tiles.js';
import type { AttentionSpec, LoweredKernel, StridedOperand } from './specs.js';
import { storeConverted, strideDimFromEnd, stridedBase } from './strided-index.js';
import { emitAttentionItems, type AttentionRow } from './attention-rows.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';

const LANES = 4;
const NEG_INF = f32(-Infinity);
const NEG_INF_V = splat(NEG_INF, LANES);
const ZERO_V = splat(f32(0), LANES);

type Row = AttentionRow;

interface FlashContext {
  readonly kb: KernelBuilder;
  readonly spec: AttentionSpec;
  readonly block: AttentionFlashBlock;
  readonly K: BufferParam;
  readonly V: BufferParam;
  readonly mask: BufferParam | undefined;
  readonly rows: readonly Row[];
  readonly dk: number;
  readonly dv: number;
  readonly skv: Expr;
  readonly kBase: Expr;
  readonly vBase: Expr;
  readonly kRowStride: Expr;
  readonly vRowStride: Expr;
  readonly kDStride: Expr;
  readonly vDStride: Expr;
  readonly maskKeyStride: Expr | undefined;
  /** qT[d·nv + v]: q·scale of the block's rows 4v..4v+3 at head-dim entry d. */
  readonly qT: string;
  /** accT[e·nv + v]: the rows' unnormalised outputs at Dv entry e. */
  readonly accT: string;
  /** s[j·nv + v]: the block's scores, then its probabilities. */
  readonly scores: string;
  /** Running max and sum per row vector. */
  readonly max: readonly Expr[];
  readonly sum: readonly Expr[];
  /** Per row vector: the last key each lane sees (i32x4), for checked blocks. */
  readonly lastKey: readonly Expr[];
}

/** Whether the blocked schedule takes this attention (else attention-per-key.ts does). */
export function flashAttentionApplies(spec: AttentionSpec, vectorLanes: number): boolean {
  if (vectorLanes !== LANES || constValue(spec.dk) === undefined || constValue(spec.dv) === undefined) return false;
  const rows = constValue(mulDim(divDim(spec.hq, spec.hkv), spec.sq));
  return rows === undefined || rows >= LANES;
}

export function lowerAttentionFlash(spec: AttentionSpec, block: AttentionFlashBlock): LoweredKernel {
  const dk = constValue(spec.dk), dv = constValue(spec.dv);
  if (dk === undefined || dv === undefined) throw new Error('lowerAttention: the blocked schedule needs constant head dims');
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const Q = kb.buffer(spec.q.value, spec.q.dtype, 'read');
  const K = kb.buffer(spec.k.value, spec.k.dtype, 'read');
  const V = kb.buffer(spec.v.value, spec.v.dtype, 'read');
  const M = spec.mask && kb.buffer(spec.mask.value, spec.mask.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');
  const nv = block.rowVectors;
  const blockRows = LANES * nv;

  const gridDim = emitAttentionItems(kb, spec, uniforms, blockRows, ({ batch, kvHead, rows, rowsTotal, sq: Sq }) => {
    const Skv = dim(spec.skv);

    // q·scale, transposed so that a head-dim entry of 4 rows is one vector.
    const qT = kb.array('q_t', 'f32x4', dk * nv, 'private');
    const qDStride = dim(strideDimFromEnd(spec.q, 1));
    const scale = splat(f32(spec.scale), LANES);
    kb.loop('d', i32(0), i32(dk), 'serial', (d) => {
      for (let v = 0; v < nv; v++) {
        const parts = rows.slice(LANES * v, LANES * (v + 1)).map((row) => cast(load(Q, add(row.qBase, mul(d, qDStride))), 'f32'));
        kb.emit({ kind: 'array_store', array: qT, index: add(mul(d, i32(nv)), i32(v)), value: mul(vectorOfLanes(parts), scale) });
      }
    });

    const diagonal = kb.let('diagonal', sub(Skv, Sq));
    const lastValid = sub(Skv, i32(1));
    const lastKey = Array.from({ length: nv }, (_, v) => {
      const parts = rows.slice(LANES * v, LANES * (v + 1)).map((row) => (spec.causal ? min(add(row.query, diagonal), lastValid) : lastValid));
      return kb.let(`last_key${v}`, vectorOfLanes(parts));
    });
    const kvBase = (op: StridedOperand, name: string): Expr =>
      kb.let(name, add(stridedBase(kb, op, batch, uniforms), mul(kvHead, dim(strideDimFromEnd(op, 3)))));
    const ctx: FlashContext = {
      kb, spec, block, K, V, mask: M, rows, dk, dv, skv: Skv,
      kBase: kvBase(spec.k, 'k_head'), vBase: kvBase(spec.v, 'v_head'),
      kRowStride: dim(strideDimFromEnd(spec.k, 2)), vRowStride: dim(strideDimFromEnd(spec.v, 2)),
      kDStride: dim(strideDimFromEnd(spec.k, 1)), vDStride: dim(strideDimFromEnd(spec.v, 1)),
      maskKeyStride: spec.mask && dim(strideDimFromEnd(spec.mask, 1)),
      qT,
      accT: kb.array('acc_t', 'f32x4', dv * nv, 'private'),
      scores: kb.array('scores', 'f32x4', block.keys * nv, 'private'),
      max: Array.from({ length: nv }, (_, v) => kb.let(`max${v}`, NEG_INF_V)),
      sum: Array.from({ length: nv }, (_, v) => kb.let(`sum${v}`, ZERO_V)),
      lastKey,
    };

    // Keys [0, fullEnd) in whole blocks every row sees in full; then [fullEnd, end), checked.
    const Bc = block.keys;
    const clampKeys = (x: Expr): Expr => max(i32(0), min(x, Skv));
    const seenByAll = spec.causal ? kb.let('keys_shared', clampKeys(add(add(rows[0]!.query, diagonal), i32(1)))) : Skv;
    const end = spec.causal ? kb.let('keys_end', clampKeys(add(add(rows[blockRows - 1]!.query, diagonal), i32(1)))) : Skv;
    const fullEnd = kb.let('keys_full', mul(div(seenByAll, i32(Bc)), i32(Bc)));
    kb.loop('key_block', i32(0), fullEnd, 'serial', (j0) => emitKeyBlock(ctx, j0, i32(Bc), false), Bc);
    kb.loop('key_block', fullEnd, end, 'serial', (j0) => emitKeyBlock(ctx, j0, min(i32(Bc), sub(end, j0)), true), Bc);

    // acc / l, or zeros for a row that saw no finite score.
    for (let v = 0; v < nv; v++) {
      const sum = ctx.sum[v]!;
      const inv = kb.let(`inv${v}`, select(eq(sum, ZERO_V), ZERO_V, div(splat(f32(1), LANES), sum)));
      for (let i = 0; i < LANES; i++) {
        const row = rows[LANES * v + i]!;
        const emit = (): void => {
          const invRow = kb.let(`inv_row${LANES * v + i}`, lane(inv, i));
          kb.loop('e', i32(0), i32(dv), 'serial', (e) => {
            const value = mul(lane(arrayLoad(ctx.accT, 'f32x4', add(mul(e, i32(nv)), i32(v))), i), invRow);
            kb.emit(storeConverted(O, add(row.outBase, e), value));
          });
        };
        if (row.alwaysValid) emit();
        else kb.when(lt(row.row, rowsTotal), emit);
      }
    }
  });

  const buffers: Record<string, string> = { [Q.name]: spec.q.value, [K.name]: spec.k.value, [V.name]: spec.v.value, [O.name]: spec.out.value };
  if (M && spec.mask) buffers[M.name] = spec.mask.value;
  return { kernel: kb.finish(), buffers, uniforms: uniformRecord(uniforms), grid: [gridDim] };
}

/**
 * Keys j0 .. j0 + Bc − 1 for the work item's rows; `keys` of them (from j0) may be seen by
 * some row. `checked`: keys are clamped for loads and compared per lane against lastKey.
 */
function emitKeyBlock(ctx: FlashContext, j0: Expr, keys: Expr, checked: boolean): void {
  const { kb, block } = ctx;
  const nv = block.rowVectors;
  const nr = block.scoreKeys;
  const blockMax = Array.from({ length: nv }, (_, v) => kb.let(`block_max${v}`, NEG_INF_V));
  // Keys scored: whole score tiles up to the last key some row may see (a checked block on the
  // diagonal often needs far fewer than Bc); those past it score -inf.
  const scored = checked ? kb.let('keys_scored', mul(div(add(keys, i32(nr - 1)), i32(nr)), i32(nr))) : i32(block.keys);

  // Scores, scoreKeys keys at a time.
  kb.loop('key_group', i32(0), scored, 'serial', (g) => {
    const keyIndex = Array.from({ length: nr }, (_, t) => kb.let(`key${t}`, add(j0, add(g, i32(t)))));
    const loadKey = keyIndex.map((j) => (checked ? min(j, sub(ctx.skv, i32(1))) : j));
    // Unclamped keys are consecutive: with a constant row stride, rows after the first sit at
    // constant offsets from it, which the WASM printer puts in the loads' offset immediates.
    const kFirst = kb.let('k_row0', add(ctx.kBase, mul(loadKey[0]!, ctx.kRowStride)));
    const kRows = loadKey.map((j, t) => (t === 0 ? kFirst
      : !checked && ctx.kRowStride.kind === 'const' ? add(kFirst, i32(t * Number(ctx.kRowStride.value)))
        : kb.let(`k_row${t}`, add(ctx.kBase, mul(j, ctx.kRowStride)))));
    const dots = Array.from({ length: nr * nv }, (_, i) => kb.let(`dot${i}`, ZERO_V));
    kb.loop('d', i32(0), i32(ctx.dk), 'serial', (d) => {
      const q = Array.from({ length: nv }, (_, v) => kb.let(`q${v}`, arrayLoad(ctx.qT, 'f32x4', add(mul(d, i32(nv)), i32(v)))));
      kRows.forEach((kRow, t) => {
        const k = kb.let('k', splat(cast(load(ctx.K, add(kRow, mul(d, ctx.kDStride))), 'f32'), LANES));
        for (let v = 0; v < nv; v++) kb.set(dots[t * nv + v]!, fma(k, q[v]!, dots[t * nv + v]!));
      });
    });
    keyIndex.forEach((j, t) => {
      for (let v = 0; v < nv; v++) {
        let s = dots[t * nv + v]!;
        const laneRows = ctx.rows.slice(LANES * v, LANES * (v + 1));
        if (ctx.mask && ctx.maskKeyStride) {
          const maskAt = (row: Row): Expr => load(ctx.mask!, add(row.maskBase!, mul(loadKey[t]!, ctx.maskKeyStride!)));
          if (ctx.mask.dtype === 'bool') s = select(vectorOfLanes(laneRows.map(maskAt)), s, NEG_INF_V);
          else s = add(s, vectorOfLanes(laneRows.map((row) => cast(maskAt(row), 'f32'))));
        }
        if (checked) s = select(le(splat(j, LANES), ctx.lastKey[v]!), s, NEG_INF_V);
        const score = kb.let('score', s);
        kb.emit({ kind: 'array_store', array: ctx.scores, index: add(mul(add(g, i32(t)), i32(nv)), i32(v)), value: score });
        // A compare and select, not the NaN-propagating max (8 x64 instructions): a NaN score
        // is passed over here, but its p = exp(NaN − m') is NaN and makes its row's output NaN.
        kb.set(blockMax[v]!, select(lt(blockMax[v]!, score), score, blockMax[v]!));
      }
    });
  }, nr);

  // One rescale per block; p = exp(s − m') in place of the scores.
  const alpha: Expr[] = [];
  const shift: Expr[] = [];
  const blockSum: Expr[] = [];
  for (let v = 0; v < nv; v++) {
    const newMax = kb.let(`new_max${v}`, max(ctx.max[v]!, blockMax[v]!));
    shift.push(kb.let(`shift${v}`, select(eq(newMax, NEG_INF_V), ZERO_V, newMax)));
    alpha.push(kb.let(`alpha${v}`, unary('exp', sub(ctx.max[v]!, shift[v]!))));
    kb.set(ctx.max[v]!, newMax);
    blockSum.push(kb.let(`block_sum${v}`, ZERO_V));
  }
  // A loop per row vector: its shift, its sum and the exp's constants stay in registers.
  for (let v = 0; v < nv; v++) {
    kb.loop('j', i32(0), scored, 'serial', (j) => {
      const slot = add(mul(j, i32(nv)), i32(v));
      const p = kb.let('p', unary('exp', sub(arrayLoad(ctx.scores, 'f32x4', slot), shift[v]!)));
      kb.emit({ kind: 'array_store', array: ctx.scores, index: slot, value: p });
      kb.set(blockSum[v]!, add(blockSum[v]!, p));
    });
  }
  for (let v = 0; v < nv; v++) kb.set(ctx.sum[v]!, fma(ctx.sum[v]!, alpha[v]!, blockSum[v]!));

  // accT = accT·α + Σ_j splat(v[j]) · p[j], valueDims Dv entries at a time: a loop over the
  // whole tiles (one copy of the code: unrolled tiles made the kernel too large for V8 to
  // optimise before the first runs ended), then the remainder.
  const valueTile = (e0: Expr, width: number): void => {
    const slot = (e: number, v: number): Expr => add(mul(add(e0, i32(e)), i32(nv)), i32(v));
    const acc = Array.from({ length: width * nv }, (_, i) => {
      const e = Math.floor(i / nv), v = i % nv;
      return kb.let(`acc${i}`, mul(arrayLoad(ctx.accT, 'f32x4', slot(e, v)), alpha[v]!));
    });
    const vFirst = kb.let('v_first', add(add(ctx.vBase, mul(j0, ctx.vRowStride)), mul(e0, ctx.vDStride)));
    kb.loop('j', i32(0), keys, 'serial', (j) => {
      const vRow = kb.let('v_row', add(vFirst, mul(j, ctx.vRowStride)));
      const p = Array.from({ length: nv }, (_, v) => kb.let(`p${v}`, arrayLoad(ctx.scores, 'f32x4', add(mul(j, i32(nv)), i32(v)))));
      for (let e = 0; e < width; e++) {
        const value = kb.let('v', splat(cast(load(ctx.V, add(vRow, mul(i32(e), ctx.vDStride))), 'f32'), LANES));
        for (let v = 0; v < nv; v++) kb.set(acc[e * nv + v]!, fma(value, p[v]!, acc[e * nv + v]!));
      }
    });
    acc.forEach((a, i) => kb.emit({ kind: 'array_store', array: ctx.accT, index: slot(Math.floor(i / nv), i % nv), value: a }));
  };
  const whole = Math.floor(ctx.dv / block.valueDims) * block.valueDims;
  if (whole > 0) kb.loop('e0', i32(0), i32(whole), 'serial', (e0) => valueTile(e0, block.valueDims), block.valueDims);
  if (whole < ctx.dv) valueTile(i32(whole), ctx.dv - whole);
}
