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
  /**
   * The newest version of the op this converter implements, for ops that got a new version
   * after opset 25 (`OP_VERSIONS_AFTER_25`); without it, those versions are refused.
   */
  readonly latestVersion?: number;
}

/**
 * Versions of default-domain ops after opset 25, the last opset every converter was checked
 * against: op → the opsets that brought it a new version. Opset 26 (ONNX 1.21) only added
 * ops (BitCast, CumProd); opset 27 (ONNX 1.22) added LinearAttention and CausalConvWithState
 * and gave Range a new version (float16/bfloat16 and stash_type). A converter converts an op at
 * an opset that reaches one of these versions only when its `latestVersion` covers it; a new
 * version sluice does not know is refused rather than converted with the old semantics.
 */
export const OP_VERSIONS_AFTER_25: Readonly<Record<string, readonly number[]>> = {
  Range: [27],
};

/** The version of `op` a model at `opset` uses, when it is newer than opset 25's; else undefined. */
export function versionAfter25(op: string, opset: number, versions = OP_VERSIONS_AFTER_25): number | undefined {
  const newer = (versions[op] ?? []).filter((v) => v <= opset);
  return newer.length ? Math.max(...newer) : undefined;
}

/** Table keys are `op` for the default domain and `domain:op` for others (`com.microsoft:FastGelu`). */
export type ConverterTable = Readonly<Record<string, ConverterEntry | Converter>>;

export function converterKey(domain: string, opType: string): string {
  return domain === '' || domain === 'ai.onnx' ? opType : `${domain}:${opType}`;
}
