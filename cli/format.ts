// Human-readable summaries of tensors and checks for the CLI.

import { getNumber, type Tensor } from '../compiler/interpret/tensor.js';
import type { OutputCheck } from '../compiler/driver/compare.js';

function fmt(v: number): string {
  if (Number.isInteger(v)) return String(v);
  return Math.abs(v) >= 1e4 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4);
}

export function describeTensor(t: Tensor, preview = 6): string {
  const n = t.data.length;
  const head: string[] = [];
  let sum = 0, min = Infinity, max = -Infinity, nan = 0;
  for (let i = 0; i < n; i++) {
    const v = getNumber(t, i);
    if (i < preview) head.push(fmt(v));
    if (Number.isNaN(v)) nan++;
    else {
      sum += v;
      min = Math.min(min, v);
      max = Math.max(max, v);
    }
  }
  const values = `[${head.join(', ')}${n > preview ? `, … ${n - preview} more` : ''}]`;
  if (n === 0) return '[] (empty)';
  const stats = `mean ${fmt(sum / Math.max(1, n - nan))}  min ${fmt(min)}  max ${fmt(max)}${nan ? `  NaN ×${nan}` : ''}`;
  return `${values}  ${stats}`;
}

export function describeCheck(c: OutputCheck): string {
  const verdict = c.ok ? 'ok' : 'FAILED';
  if (c.mismatch) return `check ${c.name}: ${c.mismatch} — ${verdict}`;
  return `check ${c.name}: max abs error ${c.maxAbsError.toExponential(2)}, relative L2 error ${c.relL2Error.toExponential(2)} (tolerance ${c.tolerance}) — ${verdict}`;
}
