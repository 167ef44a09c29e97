// Shape values: dims as data. `dim_values` is what ONNX's Shape and Size produce when dims are
// symbolic; the importer folds arithmetic on it back into dims, and only what flows into real
// data stays a node (a target reads the bound dims, never a tensor). `iota` counts 0..n-1.

import { constDim, dimSymbols, type Dim } from '../dim.js';
import { DTYPES } from '../dtype.js';
import { fail } from '../types.js';
import type { OpTable } from './op-info.js';
import { tensor } from '../../interpret/tensor.js';

export const SHAPE_OPS = {
  dim_values: {
    category: 'shape',
    arity: [0, 0],
    infer(_src, attrs) {
      if (attrs.scalar && attrs.values.length !== 1) fail('badAttribute', 'a scalar dim_values holds exactly one dim');
      return { dtype: 'i64', shape: attrs.scalar ? [] : [constDim(attrs.values.length)] };
    },
    evaluate: (_src, attrs, ctx) => tensor('i64', ctx.shape, attrs.values.map((d) => ctx.dim(d))),
  },
  iota: {
    category: 'shape',
    arity: [0, 0],
    infer(_src, attrs) {
      if (attrs.dtype === 'bool') fail('dtypeMismatch', 'iota needs a numeric dtype, got bool');
      if (!Object.prototype.hasOwnProperty.call(DTYPES, attrs.dtype)) fail('badAttribute', `iota of unknown dtype '${String(attrs.dtype)}'`);
      return { dtype: attrs.dtype, shape: [attrs.count] };
    },
    evaluate: (_src, attrs, ctx) => tensor(attrs.dtype, ctx.shape, Array.from({ length: ctx.shape[0]! }, (_, i) => i)),
  },
} satisfies Partial<OpTable>;

/** Whether a dims list mentions any symbol (so it cannot be a constant). */
export function hasSymbols(dims: readonly Dim[]): boolean {
  return dims.some((d) => dimSymbols(d).size > 0);
}
