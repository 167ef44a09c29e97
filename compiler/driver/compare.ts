// Comparing a target's outputs with the interpreter's: max absolute error and relative L2
// error, with the project's tolerances (relative L2: f64 and f32 1e-4, f16 and bf16 1e-2,
// the fp8 types, f8e8m0 and f4e2m1 1e-1; integers and bools exactly). NaN matches NaN; a NaN
// against a number is an infinite error.
//
// Why 1e-1 for the 8- and 4-bit floats rather than exact: a target computes in f32 (or f16)
// and rounds once to the format, the interpreter in f64; the two agree except where a result
// lies within f32 error of a rounding boundary, and there they differ by one step of the
// format (12.5% for e4m3, 25% for e5m2). Such rare one-step flips keep the relative L2 error
// far below 1e-1, while a wrong decode, scale or formula gives errors of order 1.

import type { DType } from '../ir/dtype.js';
import { getNumber, isBigIntData, type BigIntData, type Tensor } from '../interpret/tensor.js';

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
    case 'f64': case 'f32': return 1e-4;
    case 'f16': case 'bf16': return 1e-2;
    case 'f8e4m3fn': case 'f8e4m3fnuz': case 'f8e5m2': case 'f8e5m2fnuz': case 'f8e8m0': case 'f4e2m1': return 1e-1;
    case 'i64': case 'i32': case 'i16': case 'i8': case 'i4': case 'i2':
    case 'u64': case 'u32': case 'u16': case 'u8': case 'u4': case 'u2': case 'bool': return 0;
  }
}

export function compareTensors(name: string, actual: Tensor, expected: Tensor): OutputCheck {
  const tolerance = toleranceFor(expected.dtype);
  const sameShape = actual.shape.length === expected.shape.length && actual.shape.every((d, i) => d === expected.shape[i]);
  if (actual.dtype !== expected.dtype || !sameShape) {
    const mismatch = `got ${actual.dtype}[${actual.shape.join(', ')}], expected ${expected.dtype}[${expected.shape.join(', ')}]`;
    return { name, maxAbsError: Infinity, relL2Error: Infinity, tolerance, ok: false, mismatch };
  }
  if (isBigIntData(actual.data) && isBigIntData(expected.data)) return compareBigInts(name, actual.data, expected.data, tolerance);
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

/** i64/u64 outputs compare exactly (through Number they would blur above 2^53). */
function compareBigInts(name: string, actual: BigIntData, expected: BigIntData, tolerance: number): OutputCheck {
  let maxAbs = 0n, diff2 = 0, ref2 = 0;
  for (let i = 0; i < expected.length; i++) {
    const a = actual[i]!, e = expected[i]!;
    const d = a > e ? a - e : e - a;
    if (d > maxAbs) maxAbs = d;
    diff2 += Number(d) ** 2;
    ref2 += Number(e) ** 2;
  }
  const relL2 = diff2 === 0 ? 0 : ref2 === 0 ? Math.sqrt(diff2) : Math.sqrt(diff2 / ref2);
  return { name, maxAbsError: Number(maxAbs), relL2Error: relL2, tolerance, ok: maxAbs === 0n };
}
