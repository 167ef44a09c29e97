// The attention test matrix of issue 7 (item 4), shared by every target's tests: sequence
// lengths 1, 7, 64, 129, 1000; head dims 32, 64, 128; MHA, GQA, MQA; causal or not; no mask,
// an additive float mask or a boolean mask; f32 or f16 storage. Not the cartesian product:
// the 15 rows of MATRIX are a pairwise covering array (every value of every axis meets every
// value of every other axis in some row; `pairwiseGaps` proves it), a few EXTRA rows add what
// the matrix has no axis for (Sq ≠ Skv, a decode row over a long cache).
//
// The oracle is the Graph IR interpreter's `attention` op, which is already the decomposed
// reference: per query row it computes every score (q·k · scale, + mask or -inf), the row's
// softmax and its product with V in f64, one rounding on store — no online softmax.
//
// A row becomes DSL source: `attentionModel(rows)` puts several rows into one model (inputs
// q<i>, k<i>, v<i>, m<i>; output y<i>), so a target that builds slowly builds once. A row
// marked `symbolic` declares its sequence length as a dim bound at run time.

import { parse } from '../../../compiler/driver/load-model.js';
import type { Graph } from '../../../compiler/ir/graph.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { randomTensor } from '../../helpers/random.js';

export type MaskKind = 'none' | 'additive' | 'boolean';
/** How a mask broadcasts to the scores [...batch, Hq, Sq, Skv]. */
export type MaskShape = 'square' | 'full' | 'keys';

export interface AttentionRow {
  /** Key (and, unless `sq` is given, query) length. */
  readonly s: number;
  /** Query length when it differs from the key length (causal is aligned to the last row). */
  readonly sq?: number;
  /** Head dim of q, k and v. */
  readonly d: number;
  readonly hq: number;
  readonly hkv: number;
  readonly batch: readonly number[];
  readonly causal: boolean;
  readonly mask: MaskKind;
  /** square [Sq, Skv], full [...batch, Hq, Sq, Skv], keys (padding) [...batch, 1, 1, Skv]. */
  readonly maskShape: MaskShape;
  readonly dtype: 'f32' | 'f16';
  /** An explicit scale (sharper softmax than 1/√d, so the running max moves). */
  readonly scale?: number;
  /** Sequence lengths as dims bound at run time, not constants in the graph. */
  readonly symbolic: boolean;
  /** q, k, v arrive as [..., S, H·d] and are split by `heads(x, H)`: strided operands. */
  readonly packed?: boolean;
}

export type HeadLayout = 'MHA' | 'GQA' | 'MQA';

export function headLayout(r: AttentionRow): HeadLayout {
  return r.hq === r.hkv ? 'MHA' : r.hkv === 1 ? 'MQA' : 'GQA';
}

export function rowName(r: AttentionRow): string {
  const seq = r.sq === undefined ? `S=${r.s}` : `Sq=${r.sq} Skv=${r.s}`;
  const mask = r.mask === 'none' ? 'no mask' : `${r.mask} ${r.maskShape} mask`;
  const parts = [seq, `d=${r.d}`, `${headLayout(r)} ${r.hq}/${r.hkv}`, r.causal ? 'causal' : 'not causal', mask, r.dtype];
  if (r.batch.length > 0) parts.push(`batch [${r.batch.join(', ')}]`);
  if (r.scale !== undefined) parts.push(`scale ${r.scale}`);
  if (r.symbolic) parts.push('symbolic S');
  if (r.packed) parts.push('packed heads');
  return parts.join(', ');
}

type RowSpec = Partial<AttentionRow> & Pick<AttentionRow, 's' | 'd' | 'hq' | 'hkv' | 'causal' | 'mask' | 'dtype'>;

function row(spec: RowSpec): AttentionRow {
  return { batch: [], maskShape: 'square', symbolic: false, ...spec };
}

/**
 * The matrix: row (i, j) has S index i and head-dim index j; heads (i + j) mod 3 (MHA, MQA,
 * GQA) and mask (i + 2j) mod 3 (none, additive, boolean) cover every pair among S, d, heads
 * and mask; causal and dtype bits were searched to cover their pairs too. Head counts stay small at S = 1000 (the interpreters
 * run it), and the S = 1000, d = 32 row is f32 with 2 query heads so that it runs on
 * SwiftShader's WebGPU as well.
 */
export const MATRIX: readonly AttentionRow[] = [
  row({ s: 1, d: 32, hq: 2, hkv: 2, causal: true, mask: 'none', dtype: 'f16' }),
  row({ s: 1, d: 64, hq: 4, hkv: 1, causal: false, mask: 'boolean', maskShape: 'keys', batch: [2, 3], dtype: 'f32' }),
  row({ s: 1, d: 128, hq: 8, hkv: 2, causal: false, mask: 'additive', maskShape: 'full', dtype: 'f32', scale: 1 }),
  row({ s: 7, d: 32, hq: 4, hkv: 1, causal: false, mask: 'additive', maskShape: 'square', batch: [2], dtype: 'f32', symbolic: true }),
  row({ s: 7, d: 64, hq: 8, hkv: 2, causal: true, mask: 'none', dtype: 'f32' }),
  row({ s: 7, d: 128, hq: 2, hkv: 2, causal: true, mask: 'boolean', maskShape: 'full', dtype: 'f16', scale: 1 }),
  row({ s: 64, d: 32, hq: 8, hkv: 2, causal: true, mask: 'boolean', maskShape: 'square', dtype: 'f32', scale: 0.5 }),
  row({ s: 64, d: 64, hq: 2, hkv: 2, causal: true, mask: 'additive', maskShape: 'keys', batch: [2], dtype: 'f16' }),
  row({ s: 64, d: 128, hq: 4, hkv: 1, causal: false, mask: 'none', dtype: 'f16' }),
  row({ s: 129, d: 32, hq: 2, hkv: 2, causal: false, mask: 'none', batch: [2], dtype: 'f32', symbolic: true }),
  row({ s: 129, d: 64, hq: 4, hkv: 1, causal: true, mask: 'boolean', maskShape: 'keys', dtype: 'f16' }),
  row({ s: 129, d: 128, hq: 4, hkv: 2, causal: true, mask: 'additive', maskShape: 'square', dtype: 'f32', scale: 0.25 }),
  row({ s: 1000, d: 32, hq: 2, hkv: 1, causal: false, mask: 'additive', maskShape: 'square', dtype: 'f32', symbolic: true }),
  row({ s: 1000, d: 64, hq: 4, hkv: 2, causal: true, mask: 'none', dtype: 'f16' }),
  row({ s: 1000, d: 128, hq: 2, hkv: 2, causal: true, mask: 'boolean', maskShape: 'keys', dtype: 'f32' }),
];

/**
 * Rows the matrix has no axis for: queries fewer or more than keys (a decode row over a long
 * cache, rows that see no key), q, k and v as strided views of packed [S, H·d] projections.
 */
export const EXTRA: readonly AttentionRow[] = [
  row({ s: 1000, sq: 1, d: 64, hq: 8, hkv: 2, causal: true, mask: 'none', dtype: 'f32' }),
  row({ s: 129, sq: 7, d: 32, hq: 4, hkv: 2, causal: true, mask: 'additive', maskShape: 'full', dtype: 'f16' }),
  row({ s: 7, sq: 64, d: 64, hq: 2, hkv: 1, causal: true, mask: 'boolean', maskShape: 'square', dtype: 'f32', symbolic: true }),
  row({ s: 129, d: 64, hq: 4, hkv: 2, causal: true, mask: 'none', dtype: 'f32', symbolic: true, packed: true }),
  row({ s: 7, d: 32, hq: 4, hkv: 1, causal: false, mask: 'additive', maskShape: 'keys', batch: [2], dtype: 'f16', packed: true }),
];

export const AXES = {
  s: [1, 7, 64, 129, 1000],
  d: [32, 64, 128],
  heads: ['MHA', 'GQA', 'MQA'],
  causal: [false, true],
  mask: ['none', 'additive', 'boolean'],
  dtype: ['f32', 'f16'],
} as const;

type Axis = keyof typeof AXES;
const axisValue = (r: AttentionRow, a: Axis): unknown => (a === 'heads' ? headLayout(r) : r[a]);

/** The value pairs of two axes that no row has (empty when `rows` cover the matrix pairwise). */
export function pairwiseGaps(rows: readonly AttentionRow[]): string[] {
  const axes = Object.keys(AXES) as Axis[];
  const gaps: string[] = [];
  for (let a = 0; a < axes.length; a++) {
    for (let b = a + 1; b < axes.length; b++) {
      for (const x of AXES[axes[a]!]) {
        for (const y of AXES[axes[b]!]) {
          if (!rows.some((r) => axisValue(r, axes[a]!) === x && axisValue(r, axes[b]!) === y)) gaps.push(`${axes[a]}=${x} with ${axes[b]}=${y}`);
        }
      }
    }
  }
  return gaps;
}

/** Multiply-adds the row costs (skipped causal tiles not discounted). */
export function rowFlops(r: AttentionRow): number {
  return 2 * r.batch.reduce((x, y) => x * y, 1) * r.hq * (r.sq ?? r.s) * r.s * 2 * r.d;
}

/** The shapes of a row's q, k (and v) and mask inputs, from its lengths (numbers or dim names). */
function inputShapes<T extends number | string>(r: AttentionRow, sq: T, skv: T, n: (x: number) => T): { q: T[]; kv: T[]; mask: T[] } {
  const batch = r.batch.map(n);
  const mask = r.maskShape === 'square' ? [sq, skv] : r.maskShape === 'full' ? [...batch, n(r.hq), sq, skv] : [...batch, n(1), n(1), skv];
  if (r.packed) return { q: [...batch, sq, n(r.hq * r.d)], kv: [...batch, skv, n(r.hkv * r.d)], mask };
  return { q: [...batch, n(r.hq), sq, n(r.d)], kv: [...batch, n(r.hkv), skv, n(r.d)], mask };
}

/** Dims the rows' symbolic lengths bind to, named as `attentionModel` declares them. */
export function rowDims(rows: readonly AttentionRow[]): Record<string, number> {
  const dims: Record<string, number> = {};
  rows.forEach((r, i) => {
    if (!r.symbolic) return;
    dims[`S${i}`] = r.s;
    if (r.sq !== undefined) dims[`Q${i}`] = r.sq;
  });
  return dims;
}

/** DSL source of one model computing every row: inputs q<i>, k<i>, v<i>, m<i>, output y<i>. */
export function attentionModelSource(rows: readonly AttentionRow[]): string {
  const dims = Object.keys(rowDims(rows));
  const lines = [`model AttentionMatrix(${dims.join(', ')}) {`];
  rows.forEach((r, i) => {
    const skv = r.symbolic ? `S${i}` : String(r.s);
    const sq = r.sq === undefined ? skv : r.symbolic ? `Q${i}` : String(r.sq);
    const sh = inputShapes(r, sq, skv, String);
    const t = (dtype: string, shape: string[]): string => `${dtype}[${shape.join(', ')}]`;
    lines.push(`  input q${i}: ${t(r.dtype, sh.q)}`, `  input k${i}: ${t(r.dtype, sh.kv)}`, `  input v${i}: ${t(r.dtype, sh.kv)}`);
    const args = r.packed ? [`heads(q${i}, ${r.hq})`, `heads(k${i}, ${r.hkv})`, `heads(v${i}, ${r.hkv})`] : [`q${i}`, `k${i}`, `v${i}`];
    if (r.mask !== 'none') {
      lines.push(`  input m${i}: ${t(r.mask === 'boolean' ? 'bool' : r.dtype, sh.mask)}`);
      args.push(`m${i}`);
    }
    if (r.causal) args.push('causal: true');
    if (r.scale !== undefined) args.push(`scale: ${r.scale.toFixed(4)}`);
    lines.push(`  output y${i} = attention(${args.join(', ')})`);
  });
  lines.push('}');
  return lines.join('\n');
}

export function attentionModel(rows: readonly AttentionRow[]): Graph {
  const { graph, diagnostics } = parse(attentionModelSource(rows));
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

/**
 * An additive mask: values in [-1, 1), and -inf at about one position in five (as padding
 * masks are often built), so some rows of small causal rows see no key at all.
 */
function additiveMask(dtype: 'f32' | 'f16', shape: readonly number[], seed: number): Tensor {
  const values = toNumbers(randomTensor('f32', shape, seed));
  return tensor(dtype, shape, values.map((x) => (x < -0.6 ? -Infinity : x)));
}

/** Seeded random inputs for `attentionModel(rows)`: fresh values, bool masks half true. */
export function attentionInputs(rows: readonly AttentionRow[], seed: number): Map<string, Tensor> {
  const inputs = new Map<string, Tensor>();
  rows.forEach((r, i) => {
    const sh = inputShapes(r, r.sq ?? r.s, r.s, (x) => x);
    const base = seed * 1000 + i * 10;
    inputs.set(`q${i}`, randomTensor(r.dtype, sh.q, base));
    inputs.set(`k${i}`, randomTensor(r.dtype, sh.kv, base + 1));
    inputs.set(`v${i}`, randomTensor(r.dtype, sh.kv, base + 2));
    if (r.mask === 'boolean') inputs.set(`m${i}`, randomTensor('bool', sh.mask, base + 3));
    if (r.mask === 'additive') inputs.set(`m${i}`, additiveMask(r.dtype, sh.mask, base + 3));
  });
  return inputs;
}

/** The brief's tolerance: relative L2 error against the reference. */
export function tolerance(dtype: 'f32' | 'f16'): number {
  return dtype === 'f16' ? 1e-2 : 1e-4;
}

/**
 * The rows WebGPU runs on SwiftShader, where creating each attention pipeline takes seconds
 * (4–10 s on a loaded 2-core machine, growing with the head dim) and f32 runs at ~0.5 GFLOP/s:
 * every S, head layout, causal setting and mask kind once, f32 only, head dims 32 and 128
 * (d = 64 and d = 128 both fill WebGPU's 16 KB of workgroup memory with their K/V tiles;
 * 128 also halves the key tile).
 */
export const SWIFTSHADER_ROWS: readonly AttentionRow[] = [2, 3, 6, 9, 12].map((i) => MATRIX[i]!);

/** The values of each axis that no row has (empty when every value appears somewhere). */
export function valueGaps(rows: readonly AttentionRow[]): string[] {
  return (Object.keys(AXES) as Axis[]).flatMap((a) => AXES[a].filter((x) => !rows.some((r) => axisValue(r, a) === x)).map((x) => `${a}=${x}`));
}
