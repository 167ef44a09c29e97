// The op registry: one table, one entry per op kind.

import type { OpKind } from '../node.js';
import type { OpInfo, OpTable } from './op-info.js';
import { ATTENTION_OPS } from './attention.js';
import { ELEMENTWISE_OPS } from './elementwise.js';
import { LAYOUT_OPS } from './layout.js';
import { MATMUL_OPS } from './matmul.js';
import { NORMALIZE_OPS } from './normalize.js';
import { REDUCE_OPS } from './reduce.js';
import { SHAPE_OPS } from './shape.js';
import { SOURCE_OPS } from './sources.js';
// [family imports]
import { CONV_OPS } from './conv.js';
import { QUANTIZE_OPS } from './quantize.js';
import { RECURRENT_OPS } from './recurrent.js';
import { SCAN_SELECT_OPS } from './scan-select.js';

export const OP_INFO: OpTable = {
  ...SOURCE_OPS,
  ...ELEMENTWISE_OPS,
  ...MATMUL_OPS,
  ...REDUCE_OPS,
  ...NORMALIZE_OPS,
  ...LAYOUT_OPS,
  ...ATTENTION_OPS,
  ...SHAPE_OPS,
  // [family tables]
  ...CONV_OPS,
  ...QUANTIZE_OPS,
  ...RECURRENT_OPS,
  ...SCAN_SELECT_OPS,
};

export function opInfo<K extends OpKind>(op: K): OpInfo<K> {
  return OP_INFO[op] as unknown as OpInfo<K>;
}

export type { OpCategory, OpInfo, EvalContext } from './op-info.js';
