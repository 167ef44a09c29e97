// Every ONNX op sluice imports: the union of the per-family tables.

import type { ConverterEntry, ConverterTable } from '../converter.js';
import { SHAPE_CONVERTERS } from './shape.js';
// [family imports]
import { CONV_CONVERTERS } from './conv.js';
import { CONTROL_FLOW_CONVERTERS } from './control-flow.js';
import { QUANTIZE_CONVERTERS } from './quantize.js';
import { RECURRENT_CONVERTERS } from './recurrent.js';
import { NORMALIZE_CONVERTERS } from './normalize.js';
import { REDUCE_CONVERTERS } from './reduce.js';
import { ATTENTION_CONVERTERS } from './attention.js';
import { ELEMENTWISE_CONVERTERS } from './elementwise.js';

const TABLES: readonly ConverterTable[] = [
  SHAPE_CONVERTERS,
  // [family tables]
  CONV_CONVERTERS,
  QUANTIZE_CONVERTERS,
  RECURRENT_CONVERTERS,
  CONTROL_FLOW_CONVERTERS,
  REDUCE_CONVERTERS,
  NORMALIZE_CONVERTERS,
  ATTENTION_CONVERTERS,
  ELEMENTWISE_CONVERTERS,
];

export const CONVERTERS: ReadonlyMap<string, ConverterEntry> = new Map(
  TABLES.flatMap((t) => Object.entries(t).map(([k, v]): [string, ConverterEntry] => [k, typeof v === 'function' ? { convert: v } : v])),
);
