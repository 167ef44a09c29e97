// Scaled dot-product attention, computed as its plain decomposition in f64 with one rounding
// on store:
//   scores = (q @ kᵀ) · scale (+ float mask); masked positions = -inf; softmax over keys; @ v.
//
// Shapes: q [...batch, Hq, Sq, Dk], k [...batch, Hkv, Skv, Dk], v [...batch, Hkv, Skv, Dv];
// batch dims equal (no broadcasting). Grouped-query attention: Hq is a multiple of Hkv and
// query head h reads kv head floor(h / (Hq / Hkv)) (Hkv = 1 is multi-query attention).
// mask broadcasts to [...batch, Hq, Sq, Skv]: a bool mask attends where true (false gives
// -inf); any other mask is added to the scaled scores. causal: query i sees key j only when
// j <= i + (Skv - Sq), aligned to the last query row, which is the usual lower triangle when
// Sq == Skv and the right mask for a KV-cache decode step. A masked position is -inf whatever
// its score was. A row whose scores are all -inf outputs 0, not NaN. Output [...batch, Hq,
// Sq, Dv] in q's dtype.

import { sizeOf, type Tensor } from '../tensor.js';
import { broadcastOffsets } from './broadcast.js';
import { fromNumbers, readFloat64, readNumbers } from './storage.js';

export interface AttentionOptions {
  readonly causal: boolean;
  /** Multiplies q·k; undefined means 1/sqrt(Dk). */
  readonly scale?: number | undefined;
  readonly mask?: Tensor | undefined;
}

export function attention(q: Tensor, k: Tensor, v: Tensor, opts: AttentionOptions): Tensor {
  const rank = q.shape.length;
  const shapes = `q [${q.shape.join(', ')}], k [${k.shape.join(', ')}], v [${v.shape.join(', ')}]`;
  if (rank < 3 || k.shape.length !== rank || v.shape.length !== rank) throw new Error(`attention: need q, k, v of one rank >= 3, got ${shapes}`);
  const batchShape = q.shape.slice(0, -3);
  for (let i = 0; i < rank - 3; i++) {
    if (k.shape[i] !== batchShape[i] || v.shape[i] !== batchShape[i]) throw new Error(`attention: batch dims differ: ${shapes}`);
  }
  const [hq, sq, dk] = q.shape.slice(-3) as [number, number, number];
  const [hkv, skv, dk2] = k.shape.slice(-3) as [number, number, number];
  const [hv, sv, dv] = v.shape.slice(-3) as [number, number, number];
  if (dk !== dk2 || hv !== hkv || sv !== skv) throw new Error(`attention: mismatched heads, lengths or head dims: ${shapes}`);
  if (hkv === 0 ? hq !== 0 : hq % hkv !== 0) throw new Error(`attention: ${hq} query heads are not a multiple of ${hkv} kv heads`);

  const batch = sizeOf(batchShape);
  const group = hkv === 0 ? 1 : hq / hkv;
  const scale = opts.scale ?? 1 / Math.sqrt(dk);
  const diagonal = skv - sq; // causal: key j is visible to query i when j <= i + diagonal
  const mask = opts.mask;
  const maskValues = mask && readNumbers(mask);
  const maskOffsets = mask && broadcastOffsets(mask.shape, [...batchShape, hq, sq, skv]);
  const boolMask = mask?.dtype === 'bool';

  const Q = readFloat64(q);
  const K = readFloat64(k);
  const V = readFloat64(v);
  const out = new Float64Array(batch * hq * sq * dv);
  const scores = new Float64Array(skv);
  const acc = new Float64Array(dv);

  for (let b = 0; b < batch; b++) {
    for (let h = 0; h < hq; h++) {
      const kvHead = b * hkv + Math.floor(h / group);
      const kBase = kvHead * skv * dk;
      const vBase = kvHead * skv * dv;
      for (let i = 0; i < sq; i++) {
        const row = (b * hq + h) * sq + i; // row of the [..., Hq, Sq, *] score and output tables
        const qBase = row * dk;
        let max = -Infinity;
        for (let j = 0; j < skv; j++) {
          let s = -Infinity;
          if (!opts.causal || j <= i + diagonal) {
            let dot = 0;
            const kRow = kBase + j * dk;
            for (let d = 0; d < dk; d++) dot += Q[qBase + d]! * K[kRow + d]!;
            s = dot * scale;
            if (maskValues) {
              const m = maskValues[maskOffsets![row * skv + j]!]!;
              if (!boolMask) s += m;
              else if (m === 0) s = -Infinity;
            }
          }
          scores[j] = s;
          if (s > max || s !== s) max = s;
        }
        const oBase = row * dv;
        if (max === -Infinity) continue; // fully masked row: output stays 0
        acc.fill(0);
        let sum = 0;
        for (let j = 0; j < skv; j++) {
          const e = Math.exp(scores[j]! - max);
          sum += e;
          const vRow = vBase + j * dv;
          for (let d = 0; d < dv; d++) acc[d]! += e * V[vRow + d]!;
        }
        for (let d = 0; d < dv; d++) out[oBase + d] = acc[d]! / sum;
      }
    }
  }
  return fromNumbers(q.dtype, [...batchShape, hq, sq, dv], out);
}
