// Comparing a target's outputs with the interpreter's: max absolute error and relative L2
// error, with the project's tolerances (f32 1e-4, f16 1e-2 relative L2; integers and bools
// exactly). NaN matches NaN; a NaN against a number is an infinite error.

import type { DType } from '../ir/dtype.js';
import { getNumber, type Tensor } from '../interpret/tensor.js';

export interface OutputCheck {
  readonly name: string;
  readonly maxAbsError: number;
  readonly relL2Error: number;
  readonly tolerance: number;
  readonly ok: boolean;
  /** Set when dtype or shape differ; the errors are then Infinity. */
  readonly mismatch?: string;
}

export function toleranceFor(dtype: DType): number {
  switch (dtype) {
    case 'f32': return 1e-4;
    case 'f16': return 1e-2;
    case 'i32': case 'i64': case 'i8': case 'u8': case 'bool': return 0;
  }
}

export function compareTensors(name: string, actual: Tensor, expected: Tensor): OutputCheck {
  const tolerance = toleranceFor(expected.dtype);
  const sameShape = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  if (actual.dtype !== expected.dtype || !sameShape) {
    const mismatch = `got ${actual.dtype}[${actual.shape.join(', ')}], expected ${expected.dtype}[${expected.shape.join(', ')}]`;
    return { name, maxAbsError: Infinity, relL2Error: Infinity, tolerance, ok: false, mismatch };
  }
  let maxAbs = 0, diff2 = 0, ref2 = 0;
  for (let i = 0; i < expected.data.length; i++) {
    const a = getNumber(actual, i), e = getNumber(expected, i);
    if (Number.isNaN(a) && Number.isNaN(e)) continue;
    if (a === e) {
      ref2 += Number.isFinite(e) ? e * e : 0;
      continue; // equal infinities too
    }
    const d = Math.abs(a - e);
    const dd = Number.isNaN(d) ? Infinity : d;
    maxAbs = Math.max(maxAbs, dd);
    diff2 += dd * dd;
    ref2 += Number.isFinite(e) ? e * e : 0;
  }
  const relL2 = diff2 === 0 ? 0 : ref2 === 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
  const ok = tolerance === 0 ? maxAbs === 0 : relL2 <= tolerance;
  return { name, maxAbsError: maxAbs, relL2Error: relL2, tolerance, ok };
}
