// Shared by the tensor file format tests.

import path from 'node:path';
import { fileURLToPath } from 'node:url';
import { expect } from 'vitest';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { DTYPES, type DType } from '../../../compiler/ir/dtype.js';
import type { Tensor } from '../../../compiler/interpret/tensor.js';
import { hashSeed, randomTensor } from '../../../compiler/io/random.js';

export const REPO_ROOT = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '../../..');
export const NPY_FIXTURES = path.join(REPO_ROOT, 'test/fixtures/npy');
export const ONNX_NODE_TESTS = path.resolve(REPO_ROOT, '../shared/onnx-node-tests');

/**
 * Awkward shapes every format must round-trip: scalar, unit, odd, wide, long. The odd counts
 * (1, 7, 129, 387) leave the last byte of a packed 4-bit (one nibble) or 2-bit (one to three
 * fields) tensor partly padding.
 */
export const SHAPES: readonly (readonly number[])[] = [[], [1], [7], [129], [3, 129], [1000]];

/** Deterministic sample data with both signs (and values up to ±100 for floats, ±6 for f4e2m1). */
export function sample(dtype: DType, shape: readonly number[]): Tensor {
  return randomTensor(dtype, shape, hashSeed('io-test', dtype, shape.join('x')), { scale: Math.min(100, DTYPES[dtype].max) });
}

/** Same dtype, shape, storage type and bytes (so NaN payloads and -0 count). */
export function expectSameTensor(actual: Tensor, expected: Tensor): void {
  expect(actual.dtype).toBe(expected.dtype);
  expect(actual.shape).toEqual(expected.shape);
  expect(actual.data.constructor).toBe(expected.data.constructor);
  expect(bytesOf(actual)).toEqual(bytesOf(expected));
}

function bytesOf(t: Tensor): Uint8Array {
  return new Uint8Array(t.data.buffer, t.data.byteOffset, t.data.byteLength);
}

/** Runs `fn`, which must throw a DiagnosticError whose first diagnostic has `code` and mentions `text`. */
export function expectDiagnostic(fn: () => unknown, code: number, text?: string | RegExp): void {
  let thrown: unknown;
  try {
    fn();
  } catch (e) {
    thrown = e;
  }
  expect(thrown, 'expected a DiagnosticError').toBeInstanceOf(DiagnosticError);
  const d = (thrown as DiagnosticError).diagnostics[0]!;
  expect(d.code).toBe(code);
  if (text !== undefined) expect(d.message).toMatch(text);
}

/** Like expectDiagnostic, and the throw must come fast (nothing huge was allocated first). */
export function expectQuickDiagnostic(fn: () => unknown, code: number, text?: string | RegExp): void {
  const start = performance.now();
  expectDiagnostic(fn, code, text);
  expect(performance.now() - start).toBeLessThan(200);
}
