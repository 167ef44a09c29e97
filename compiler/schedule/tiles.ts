// Tile sizes for the CPU contraction kernels, chosen by a small cost model from the target's
// description (vector lanes, vector registers, cache bytes), never hard-coded per shape.
//
// The model counts, per output element and per step along the reduction, the vector
// instructions a register tile issues (FMAs, operand loads and splats) and adds the work
// wasted on edges (rows recomputed by a clamped tile, columns left to narrower edge code).
// Sizes that are not known at compile time (symbolic dims) are treated as large, so only the
// tile's own compute/load ratio counts.

import type { TargetDescription } from '../kernel/program.js';

/** A register tile of a matmul vectorised along N, with the K block and rows per work item. */
export interface MatmulTile {
  /** Rows of C held in registers (A values splatted). */
  readonly mr: number;
  /** Columns of C held in registers, a multiple of the vector lanes (B rows loaded as vectors). */
  readonly nr: number;
  /** K block: the A and B micro-panels of one block fit in half the cache. */
  readonly kc: number;
  /** Rows of C one work item covers (a multiple of mr), sweeping them while its B panel is hot. */
  readonly rowsPerItem: number;
}

/** A register tile of dot products vectorised along K (B given with K contiguous, e.g. transposed weights). */
export interface DotTile {
  readonly mr: number;
  readonly nr: number;
}

/** Query rows per attention work item. */
export interface AttentionBlock {
  readonly rows: number;
}

/** Sizes assumed for dims unknown at compile time: large enough that edges do not matter. */
const LARGE = 1 << 20;
const MAX_TILE_ROWS = 8;
/** Rows per work item: enough to reuse the B panel, few enough to leave work for every thread. */
const MAX_ROWS_PER_ITEM = 64;

/**
 * Vector registers a tile vectorised along N holds at once in the engine's code: the
 * accumulators, the step's B vectors, its mr A splats (V8 issues a step's loads together, so
 * all of them are live before the first FMA) and the product of a mul+add before it is
 * added. With more, V8 spills accumulators to the stack and reloads them every step (a
 * 4×12 tile did: 11 stack moves per 12 multiplies, ~25% slower than 2×16 at 512³).
 */
export function matmulTileRegisters(mr: number, nr: number, lanes: number): number {
  return (mr * nr) / lanes + nr / lanes + mr + 1;
}

/** Vector registers a CPU tile may use: the engine keeps one for itself (V8 and SpiderMonkey: xmm15 on x64). */
function tileRegisterBudget(target: TargetDescription): number {
  return target.vectorRegisters - 1;
}

/** Vector registers a dot tile holds: one accumulator per output, one vector per A row and per B column. */
export function dotTileRegisters(mr: number, nr: number): number {
  return mr * nr + mr + nr;
}

/** Vector instructions per k step of an mr × nr tile vectorised along N, per output element. */
function nVectorCost(mr: number, nr: number, lanes: number): number {
  const fmas = (mr * nr) / lanes;
  const loads = mr + nr / lanes;
  return (fmas + loads) / (mr * nr);
}

/** Cost of `n` columns: full tiles of nr, then single-vector chunks, then scalar columns. */
function columnsCost(mr: number, nr: number, n: number, lanes: number): number {
  const full = Math.floor(n / nr) * nr;
  const vectorEdge = Math.floor((n - full) / lanes) * lanes;
  const scalarEdge = n - full - vectorEdge;
  return full * nVectorCost(mr, nr, lanes) + vectorEdge * nVectorCost(mr, lanes, lanes) + scalarEdge * nVectorCost(mr, 1, 1);
}

function roundUp(x: number, to: number): number {
  return Math.ceil(x / to) * to;
}

/**
 * The register tile, K block and rows per work item for C[m, n] = A[m, k]·B[k, n] with B's
 * rows contiguous. Registers (matmulTileRegisters) never exceed target.vectorRegisters.
 * Among the tiles that fit, the cheapest total (compute/load ratio plus edge waste) wins;
 * ties go to the larger tile. M = 1 (a decode step) picks mr = 1 and the widest nr.
 */
export function chooseMatmulTile(target: TargetDescription, m?: number, n?: number, k?: number): MatmulTile {
  const lanes = target.vectorLanes;
  const rows = m ?? LARGE;
  const cols = n ?? LARGE;
  let best: { mr: number; nr: number; cost: number } | undefined;
  for (let mr = 1; mr <= MAX_TILE_ROWS; mr++) {
    for (let nr = lanes; matmulTileRegisters(mr, nr, lanes) <= tileRegisterBudget(target); nr += lanes) {
      // Rows past m are recomputed by the clamped tile, so they cost as much as real ones.
      const cost = roundUp(rows, mr) * columnsCost(mr, nr, cols, lanes);
      const better = !best || cost < best.cost * (1 - 1e-9) || (cost <= best.cost * (1 + 1e-9) && mr * nr > best.mr * best.nr);
      if (better) best = { mr, nr, cost };
    }
  }
  if (!best) throw new Error(`tiles: ${tileRegisterBudget(target)} vector registers cannot hold a ${lanes}-lane tile`);
  const { mr, nr } = best;
  const kc = chooseKBlock(target, mr, nr, k);
  // Each row tile streams its own A rows once per K block, so rows per item are bounded by
  // the work left for threads, not by the cache: more rows reuse each packed B panel more
  // (at 1024³, 64 rows ran ~15% faster than the 18 an L1-sized A block allows).
  const rowsPerItem = Math.min(Math.max(mr, Math.floor(MAX_ROWS_PER_ITEM / mr) * mr), roundUp(rows, mr));
  return { mr, nr, kc, rowsPerItem };
}

/**
 * The K block: the mr × kc A micro-panel and kc × nr B micro-panel fit in half the cache
 * (the other half holds C, partial sums and the streams passing through). A known k just
 * above a block is split into equal blocks rather than one full and one tiny.
 */
export function chooseKBlock(target: TargetDescription, mr: number, nr: number, k?: number): number {
  const align = target.vectorLanes;
  const fit = Math.max(align, Math.floor(target.cacheBytes / 2 / (4 * (mr + nr)) / align) * align);
  if (k === undefined) return fit;
  if (k <= fit) return Math.max(k, 1);
  const blocks = Math.ceil(k / fit);
  return roundUp(Math.ceil(k / blocks), align);
}

/**
 * The tile of a matmul whose A and B both have K contiguous: f32x4 dot products along K,
 * reduced across lanes at the end. Registers (dotTileRegisters) stay within the target's.
 */
export function chooseDotTile(target: TargetDescription, m?: number, n?: number): DotTile {
  const rows = m ?? LARGE;
  const cols = n ?? LARGE;
  let best: { mr: number; nr: number; cost: number } | undefined;
  for (let mr = 1; mr <= MAX_TILE_ROWS; mr++) {
    for (let nr = 1; dotTileRegisters(mr, nr) <= target.vectorRegisters; nr++) {
      // Per K vector step: mr·nr FMAs and mr + nr loads; clamped rows and columns are recomputed.
      const cost = roundUp(rows, mr) * roundUp(cols, nr) * (mr * nr + mr + nr) / (mr * nr);
      const better = !best || cost < best.cost * (1 - 1e-9) || (cost <= best.cost * (1 + 1e-9) && mr * nr > best.mr * best.nr);
      if (better) best = { mr, nr, cost };
    }
  }
  if (!best) throw new Error(`tiles: ${target.vectorRegisters} vector registers cannot hold a dot tile`);
  return { mr: best.mr, nr: best.nr };
}

/**
 * The scalar register tile used when neither operand is contiguous along a useful axis:
 * mr·nr accumulators plus one A and one B value per column and row.
 */
export function chooseScalarTile(target: TargetDescription, m?: number, n?: number): DotTile {
  return chooseDotTile(target, m, n);
}

/** The packed-panel convolution's tile (compiler/lower/conv-panel.ts): the matmul's, K blocked by whole input channels. */
export interface ConvTile extends MatmulTile {
  /** Input channels per K block (each brings all its taps): the panel holds channelsPerBlock·taps rows. */
  readonly channelsPerBlock: number;
}

/**
 * The tile of a convolution run as an implicit GEMM over a packed panel: M = output channels
 * of a group, N = output positions, K = input channels of a group × taps. Unlike the matmul,
 * the last panel runs the whole register tile (its positions past the end are computed and
 * not stored), so the cost counts positions rounded up to nr: at 7×7 (49 positions) a 2×16
 * tile computes 64, a 4×8 one 56 for the same instructions per output. Registers as in the
 * matmul (matmulTileRegisters). Rows per item are the matmul's; the K block is the matmul's
 * split into whole channels (the panel is packed tap by tap with a channel loop inside), as
 * even as the channel count allows.
 */
export function chooseConvTile(target: TargetDescription, taps: number, m?: number, positions?: number, channels?: number): ConvTile {
  const lanes = target.vectorLanes;
  const rows = m ?? LARGE;
  const cols = positions ?? LARGE;
  let best: { mr: number; nr: number; cost: number } | undefined;
  for (let mr = 1; mr <= MAX_TILE_ROWS; mr++) {
    for (let nr = lanes; matmulTileRegisters(mr, nr, lanes) <= tileRegisterBudget(target); nr += lanes) {
      const cost = roundUp(rows, mr) * roundUp(cols, nr) * nVectorCost(mr, nr, lanes);
      const better = !best || cost < best.cost * (1 - 1e-9) || (cost <= best.cost * (1 + 1e-9) && mr * nr > best.mr * best.nr);
      if (better) best = { mr, nr, cost };
    }
  }
  if (!best) throw new Error(`tiles: ${tileRegisterBudget(target)} vector registers cannot hold a ${lanes}-lane tile`);
  const { mr, nr } = best;
  const rowsPerItem = Math.min(Math.max(mr, Math.floor(MAX_ROWS_PER_ITEM / mr) * mr), roundUp(rows, mr));
  const fit = Math.max(1, Math.floor(chooseKBlock(target, mr, nr) / taps));
  const blocks = channels === undefined ? 1 : Math.max(1, Math.ceil(channels / fit));
  const channelsPerBlock = channels === undefined ? fit : Math.max(1, Math.ceil(channels / blocks));
  return { mr, nr, kc: channelsPerBlock * taps, rowsPerItem, channelsPerBlock };
}

/**
 * Query rows per attention work item. Per key, each row keeps one dot-product accumulator
 * and loads its q vector, and the key's K/V vectors are shared by all rows: more rows load K
 * and V less often, until the accumulators and q vectors fill the registers. Rows past the
 * end are recomputed by the clamped block, so a block much larger than the rows is waste.
 * `rows` is the number of query rows that share K/V (Sq times the query heads per kv head).
 */
export function chooseAttentionBlock(target: TargetDescription, rows?: number, dk?: number, dv?: number): AttentionBlock {
  const lanes = target.vectorLanes;
  const total = rows ?? LARGE;
  const kVecs = Math.ceil((dk ?? 64) / lanes);
  const vVecs = Math.ceil((dv ?? 64) / lanes);
  let best: { rows: number; cost: number } | undefined;
  for (let r = 1; 2 * r + 1 <= target.vectorRegisters && r <= MAX_TILE_ROWS; r++) {
    const blocks = Math.ceil(total / r);
    // Per key and block: K and V loads once, then per row q loads + FMAs (dot and accumulate).
    const cost = blocks * (kVecs + vVecs + r * (2 * kVecs + 2 * vVecs));
    if (!best || cost < best.cost * (1 - 1e-9)) best = { rows: r, cost };
  }
  return { rows: best?.rows ?? 1 };
}

/**
 * The blocked (flash) attention schedule's sizes (compiler/lower/attention-flash.ts): query
 * rows sit along the vector lanes, `rowVectors` vectors of them per work item; keys advance
 * `keys` at a time; the score tile holds `scoreKeys` keys × rowVectors accumulators (K values
 * splatted, q·scale vectors from a transposed copy), the value tile `valueDims` Dv entries ×
 * rowVectors (V values splatted, p vectors from the block's scores).
 */
export interface AttentionFlashBlock {
  readonly rowVectors: number;
  readonly keys: number;
  readonly scoreKeys: number;
  readonly valueDims: number;
}

/** Vector instructions per key and row vector for the block's softmax (max, exp, sum, rescale). */
const FLASH_SOFTMAX_OPS = 24;
/** A K or V element splatted from the stream the work item walks costs this many scratch loads. */
const FLASH_STREAM_LOAD_COST = 2;
const FLASH_MAX_ROW_VECTORS = 4;
const FLASH_MAX_KEYS = 64;

/**
 * Sizes for the blocked attention schedule. Per key and work item, the score tile issues per
 * head-dim step scoreKeys K splats (streamed: FLASH_STREAM_LOAD_COST each), rowVectors q
 * loads and scoreKeys·rowVectors FMAs (a multiply and an add: wasm SIMD has no FMA), the
 * value tile likewise per Dv entry (V splats, p loads), and the softmax a fixed count per row
 * vector; rows past the end are recomputed by the clamped block. Each tile (accumulators, one
 * vector per row vector, one splat) stays within the registers less two: V8 on x64 has 16
 * and keeps one for itself, and a multiply then add needs one for the product. Measured at
 * S = 2048 (8 heads, d 64, one thread): 4 row vectors × 2 keys/Dv entries (13 registers)
 * 342–346 ms, 2 × 6 (15) 432–503 ms, 4 × 3 (17) 1.6× slower from spills, 3 × 3 (13) 459–494
 * ms. The key block is the largest multiple of scoreKeys up to
 * FLASH_MAX_KEYS whose K and V rows fit the cache (fewer rescales per key the larger it is).
 */
export function chooseAttentionFlashBlock(target: TargetDescription, rows?: number, dk = 64, dv = 64): AttentionFlashBlock {
  const lanes = target.vectorLanes;
  const total = rows ?? LARGE;
  const regs = target.vectorRegisters - 2;
  const tileCost = (depth: number, across: number, nv: number): number =>
    (depth * (FLASH_STREAM_LOAD_COST * across + nv + 2 * across * nv)) / across;
  const widest = (nv: number, limit: number): number => Math.max(1, Math.min(limit, Math.floor((regs - nv - 1) / nv)));
  let best: { block: AttentionFlashBlock; cost: number } | undefined;
  for (let nv = 1; nv <= FLASH_MAX_ROW_VECTORS && 2 * nv + 1 <= regs; nv++) {
    const scoreKeys = widest(nv, 8);
    const valueDims = widest(nv, dv);
    const items = Math.ceil(total / (lanes * nv));
    const cost = items * (tileCost(dk, scoreKeys, nv) + tileCost(dv, valueDims, nv) + nv * FLASH_SOFTMAX_OPS);
    if (!best || cost < best.cost * (1 - 1e-9)) {
      const fit = Math.floor(target.cacheBytes / (4 * (dk + dv)) / scoreKeys) * scoreKeys;
      const keys = Math.max(scoreKeys, Math.min(fit, Math.floor(FLASH_MAX_KEYS / scoreKeys) * scoreKeys));
      best = { block: { rowVectors: nv, keys, scoreKeys, valueDims }, cost };
    }
  }
  return best!.block;
}

// ---- GPU tiles ----

/**
 * A workgroup tile of a GPU matmul: the workgroup computes bm × bn outputs with tx × ty threads,
 * each holding tm × tn accumulators (rows ty + i·ty, columns tx + j·tx, so neighbouring
 * threads touch neighbouring columns); K advances bk at a time through workgroup memory.
 */
export interface GpuMatmulTile {
  readonly bm: number;
  readonly bn: number;
  readonly bk: number;
  readonly tm: number;
  readonly tn: number;
  readonly tx: number;
  readonly ty: number;
}

/** Threads a GPU keeps in flight at once, roughly (a mid-range card): fewer leaves it idle. */
const GPU_RESIDENT_THREADS = 64 * 1024;
/** Independent accumulators per thread that still add latency hiding (a 4×4 register tile). */
const GPU_THREAD_ILP = 16;
/** Compute units of a small GPU: fewer workgroups leave some of them idle. */
const GPU_MIN_WORKGROUPS = 16;
/** A global load costs about this many FMAs (workgroup-memory reads count as one). */
const GPU_GLOBAL_LOAD_COST = 4;
const GPU_K_TILE = 16;

/**
 * The workgroup tile for C[m, n] = A[m, k]·B[k, n] on a GPU target. The model counts the FMAs
 * issued (padding on ragged edges included), the workgroup-memory reads per FMA
 * ((tm + tn)/(tm·tn)) and the global loads per K step (bm + bn per tile), and divides by the
 * share of the GPU the tiles keep busy: the independent FMA chains in flight (a thread's tm·tn
 * accumulators hide latency as that many threads would, up to GPU_THREAD_ILP) against
 * GPU_RESIDENT_THREADS, and the workgroups against GPU_MIN_WORKGROUPS compute units. Fewer,
 * larger tiles load less, more, smaller tiles fill the GPU. Counting threads alone picked 16×16
 * tiles of one output per thread at 256³ (two workgroup-memory reads and a share of two
 * barriers per FMA), 3–8× slower on SwiftShader than 4×4 per thread (docs/performance.md).
 * Threads stay within maxWorkgroupInvocations and the staged K tiles within
 * maxWorkgroupStorageBytes. Unknown dims count as large.
 */
export function chooseGpuMatmulTile(target: TargetDescription, m?: number, n?: number, k?: number, batch = 1): GpuMatmulTile {
  const maxThreads = Math.min(256, target.maxWorkgroupInvocations ?? 256);
  const storage = target.maxWorkgroupStorageBytes ?? 16 * 1024;
  const rows = m ?? LARGE, cols = n ?? LARGE, depth = k ?? LARGE;
  let best: { tile: GpuMatmulTile; cost: number } | undefined;
  for (const tx of [4, 8, 16, 32]) {
    for (const ty of [1, 2, 4, 8, 16, 32]) {
      const threads = tx * ty;
      if (threads < 32 || threads > maxThreads) continue;
      for (const tm of [1, 2, 4]) {
        for (const tn of [1, 2, 4]) {
          const bm = ty * tm, bn = tx * tn, bk = GPU_K_TILE;
          if ((bm + bn) * bk * 4 > storage) continue;
          const tiles = batch * Math.ceil(rows / bm) * Math.ceil(cols / bn);
          const fmas = tiles * bm * bn * depth;
          const sharedReads = (fmas * (tm + tn)) / (tm * tn);
          const globalLoads = tiles * Math.ceil(depth / bk) * bk * (bm + bn) * GPU_GLOBAL_LOAD_COST;
          // Threads working on padding past the edges keep the GPU no busier.
          const useful = (rows / (Math.ceil(rows / bm) * bm)) * (cols / (Math.ceil(cols / bn) * bn));
          const chains = tiles * threads * Math.min(tm * tn, GPU_THREAD_ILP) * useful;
          const busy = Math.min(1, chains / GPU_RESIDENT_THREADS) * Math.min(1, tiles / GPU_MIN_WORKGROUPS);
          const cost = (fmas + sharedReads + globalLoads) / busy;
          const better = !best || cost < best.cost * (1 - 1e-9) || (cost <= best.cost * (1 + 1e-9) && bm * bn > best.tile.bm * best.tile.bn);
          if (better) best = { tile: { bm, bn, bk, tm, tn, tx, ty }, cost };
        }
      }
    }
  }
  return best!.tile;
}
