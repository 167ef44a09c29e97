// The converter table's entry type. One entry per ONNX op: a small function from the node's
// context to its outputs (Graph IR nodes, in the order of the node's outputs; `undefined`
// where an optional output is not produced).

import type { Node } from '../../ir/node.js';
import type { ConvertContext } from './context.js';

export type Converter = (ctx: ConvertContext) => readonly (Node | undefined)[];

export interface ConverterEntry {
  readonly convert: Converter;
  /** Opset versions this converter implements (inclusive); outside them the op is unsupported. */
  readonly minOpset?: number;
  readonly maxOpset?: number;
}

/** Table keys are `op` for the default domain and `domain:op` for others (`com.microsoft:FastGelu`). */
export type ConverterTable = Readonly<Record<string, ConverterEntry | Converter>>;

export function converterKey(domain: string, opType: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}
