// Tensor types and the shape rules shared by op inference.

import { constDim, dimEquals, isConst, mulDim, printShape, type Dim } from './dim.js';
import type { DType } from './dtype.js';
import { messageText } from '../diagnostics/diagnostic.js';
import type { MessageCode } from '../diagnostics/messages.js';

export interface TensorType {
  readonly dtype: DType;
  readonly shape: readonly Dim[];
}

/**
 * A user-facing shape or type error found by op inference. The builder turns it into a
 * diagnostic at the span of the expression that made the op; it never escapes the builder.
 */
export class ShapeError extends Error {
  constructor(readonly code: MessageCode, readonly args: readonly (string | number)[]) {
    super(messageText(code, args));
  }
}

export function fail(code: MessageCode, ...args: (string | number)[]): never {
  throw new ShapeError(code, args);
}

/** NumPy broadcasting on symbolic dims: equal dims, or one of them the constant 1. */
export function broadcastShapes(a: readonly Dim[], b: readonly Dim[]): Dim[] {
  const rank = Math.max(a.length, b.length);
  const out: Dim[] = [];
  for (let i = 0; i < rank; i++) {
    const x = a[a.length - rank + i] ?? constDim(1);
    const y = b[b.length - rank + i] ?? constDim(1);
    if (dimEquals(x, y) || isConst(y, 1)) out.push(x);
    else if (isConst(x, 1)) out.push(y);
    else fail('cannotBroadcast', printShape(a), printShape(b));
  }
  return out;
}

/** Whether `from` broadcasts to exactly `to`. */
export function broadcastsTo(from: readonly Dim[], to: readonly Dim[]): boolean {
  if (from.length > to.length) return false;
  for (let i = 0; i < from.length; i++) {
    const x = from[from.length - 1 - i]!;
    const y = to[to.length - 1 - i]!;
    if (!dimEquals(x, y) && !isConst(x, 1)) return false;
  }
  return true;
}

/** Normalises a possibly negative axis; fails when out of range. */
export function normalizeAxis(axis: number, rank: number): number {
  const a = axis < 0 ? axis + rank : axis;
  if (!Number.isInteger(a) || a < 0 || a >= rank) fail('badAxis', axis, rank);
  return a;
}

export function numElements(shape: readonly Dim[]): Dim {
  return shape.reduce<Dim>((acc, d) => mulDim(acc, d), constDim(1));
}

export function printType(t: TensorType): string {
  return `${t.dtype}${printShape(t.shape)}`;
}

export function sameShape(a: readonly Dim[], b: readonly Dim[]): boolean {
  return a.length === b.length && a.every((d, i) => dimEquals(d, b[i]!));
}
