// Every ONNX op sluice imports: the union of the per-family tables.

import type { ConverterEntry, ConverterTable } from '../converter.js';
import { SHAPE_CONVERTERS } from './shape.js';
// [family imports]

const TABLES: readonly ConverterTable[] = [
  SHAPE_CONVERTERS,
  // [family tables]
];

export const CONVERTERS: ReadonlyMap<string, ConverterEntry> = new Map(
  TABLES.flatMap((t) => Object.entries(t).map(([k, v]): [string, ConverterEntry] => [k, typeof v === 'function' ? { convert: v } : v])),
);
