// Softmax, log-softmax, layer norm and RMS norm: reductions with their elementwise prologue
// and epilogue, kept whole so kernels can be fused around them.

import { printShape } from '../dim.js';
import { DTYPES } from '../dtype.js';
import { broadcastsTo, fail, normalizeAxis, type TensorType } from '../types.js';
import type { OpTable } from './op-info.js';
import { layerNorm, logSoftmax, rmsNorm, softmax } from '../../interpret/kernels/normalize.js';

function checkFloat(op: string, x: TensorType): void {
  if (!DTYPES[x.dtype].isFloat) fail('dtypeMismatch', `${op} needs a floating-point tensor, got ${x.dtype}`);
}

function checkAffine(op: string, role: string, x: TensorType, axis: number, p: TensorType | undefined): void {
  if (!p) return;
  if (p.dtype !== x.dtype) fail('dtypeMismatch', `${op} ${role} must be ${x.dtype} like its input, got ${p.dtype}`);
  const normalized = x.shape.slice(axis);
  if (!broadcastsTo(p.shape, normalized)) {
    fail('shapeMismatch', `${op} ${role} of shape ${printShape(p.shape)} does not match the normalised axes ${printShape(normalized)}`);
  }
}

export const NORMALIZE_OPS = {
  softmax: {
    category: 'normalization',
    arity: [1, 1],
    infer([x], attrs) {
      checkFloat('softmax', x!);
      if (normalizeAxis(attrs.axis, x!.shape.length) !== attrs.axis) fail('badAttribute', `softmax axis must be normalised, got ${attrs.axis}`);
      return x!;
    },
    evaluate: ([x], attrs) => softmax(x!, attrs.axis),
  },
  log_softmax: {
    category: 'normalization',
    arity: [1, 1],
    infer([x], attrs) {
      checkFloat('log_softmax', x!);
      if (normalizeAxis(attrs.axis, x!.shape.length) !== attrs.axis) fail('badAttribute', `log_softmax axis must be normalised, got ${attrs.axis}`);
      return x!;
    },
    evaluate: ([x], attrs) => logSoftmax(x!, attrs.axis),
  },
  layer_norm: {
    category: 'normalization',
    arity: [1, 3],
    infer(src, attrs) {
      const x = src[0]!;
      checkFloat('layer_norm', x);
      if (normalizeAxis(attrs.axis, x.shape.length) !== attrs.axis) fail('badAttribute', `layer_norm axis must be normalised, got ${attrs.axis}`);
      if (src.length !== 1 + Number(attrs.hasScale) + Number(attrs.hasBias)) fail('badAttribute', 'layer_norm operands do not match hasScale/hasBias');
      checkAffine('layer_norm', 'scale', x, attrs.axis, attrs.hasScale ? src[1] : undefined);
      checkAffine('layer_norm', 'bias', x, attrs.axis, attrs.hasBias ? src[src.length - 1] : undefined);
      return x;
    },
    evaluate: (src, attrs) =>
      layerNorm(src[0]!, attrs.hasScale ? src[1] : undefined, attrs.hasBias ? src[src.length - 1] : undefined, attrs.axis, attrs.eps),
  },
  rms_norm: {
    category: 'normalization',
    arity: [1, 2],
    infer(src, attrs) {
      const x = src[0]!;
      checkFloat('rms_norm', x);
      if (normalizeAxis(attrs.axis, x.shape.length) !== attrs.axis) fail('badAttribute', `rms_norm axis must be normalised, got ${attrs.axis}`);
      if (src.length !== 1 + Number(attrs.hasScale)) fail('badAttribute', 'rms_norm operands do not match hasScale');
      checkAffine('rms_norm', 'scale', x, attrs.axis, attrs.hasScale ? src[1] : undefined);
      return x;
    },
    evaluate: (src, attrs) => rmsNorm(src[0]!, attrs.hasScale ? src[1] : undefined, attrs.axis, attrs.eps),
  },
} satisfies Partial<OpTable>;
