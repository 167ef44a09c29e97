// Index arithmetic shared by the contraction lowerings (matmul.ts, attention.ts): splitting a
// flat work-item index into coordinates, and the flat element index of a strided operand.

import type { Dim } from '../ir/dim.js';
import { add, cast, div, i32, mul, rem, store, type KernelBuilder } from '../kernel/builder.js';
import { computeTypeOf, lanesOf, type BufferParam, type Expr, type KType, type Stmt } from '../kernel/ir.js';
import type { StridedOperand } from './specs.js';
import { dimExpr, type UniformDims } from './uniforms.js';

/**
 * Splits `flat` into row-major coordinates of `extents` (outermost first), each bound to a
 * local named `names[d]`. The outermost coordinate takes no remainder: `flat` is in range.
 */
export function unflatten(kb: KernelBuilder, flat: Expr, extents: readonly Expr[], names: readonly string[]): Expr[] {
  const coords: Expr[] = new Array<Expr>(extents.length);
  let rest = flat;
  for (let d = extents.length - 1; d >= 0; d--) {
    if (d === 0) {
      coords[d] = kb.let(names[d]!, rest);
    } else {
      coords[d] = kb.let(names[d]!, rem(rest, extents[d]!));
      rest = div(rest, extents[d]!);
    }
  }
  return coords;
}

/** offset + Σ coords[d]·strides[d] over the leading coordinates given (batch dims). */
export function stridedBase(
  kb: KernelBuilder, op: StridedOperand, coords: readonly Expr[], uniforms: UniformDims,
): Expr {
  let index = dimExpr(op.offset, kb, uniforms);
  coords.forEach((c, d) => {
    index = add(index, mul(c, dimExpr(op.strides[d]!, kb, uniforms)));
  });
  return index;
}

/** The stride of logical dim `d` counted from the end (1 = last), as an expression. */
export function strideFromEnd(kb: KernelBuilder, op: StridedOperand, d: number, uniforms: UniformDims): Expr {
  return dimExpr(op.strides[op.strides.length - d]!, kb, uniforms);
}

/** The Dim stride of logical dim `d` counted from the end (1 = last). */
export function strideDimFromEnd(op: StridedOperand, d: number): Dim {
  return op.strides[op.strides.length - d]!;
}

/** Row-major flat index of `coords` in a tensor of `extents` (both outermost first). */
export function flatIndex(coords: readonly Expr[], extents: readonly Expr[]): Expr {
  let index = i32(0);
  coords.forEach((c, d) => {
    index = add(mul(index, extents[d]!), c);
  });
  return index;
}

/** A store of an f32 (or f32 vector) result, converted to the buffer's compute type first (f16 storage takes f16). */
export function storeConverted(buffer: BufferParam, index: Expr, value: Expr): Stmt {
  const scalar = computeTypeOf(buffer.dtype);
  if (!scalar) throw new Error(`store: buffer '${buffer.name}' of ${buffer.dtype} cannot be stored directly`);
  const lanes = lanesOf(value.type);
  return store(buffer, index, cast(value, (lanes === 1 ? scalar : `${scalar}x${lanes}`) as KType));
}
