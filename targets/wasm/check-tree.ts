// Binaryen IR must be a tree: an expression node given two parents (a Ref used twice) passes
// `Module.validate()` but corrupts the optimiser, since a pass that rewrites one use rewrites
// the other (the GPT-2 crash: a shuffle's two operands were one local.get; after constant
// propagation one use became a nop and precompute aborted inside binaryen). The printer runs
// this check before optimising, so such a bug is a clear printer error instead.

import binaryen from 'binaryen';
import type { Ref } from './function-builder.js';

type Info = Record<string, unknown>;

/** Fields holding child expressions, per expression id (ids the printer never emits are errors). */
const CHILDREN = new Map<number, readonly string[]>([
  [binaryen.BlockId, ['children']],
  [binaryen.IfId, ['condition', 'ifTrue', 'ifFalse']],
  [binaryen.LoopId, ['body']],
  [binaryen.BreakId, ['condition', 'value']],
  [binaryen.SwitchId, ['condition', 'value']],
  [binaryen.CallId, ['operands']],
  [binaryen.LocalGetId, []],
  [binaryen.LocalSetId, ['value']],
  [binaryen.GlobalGetId, []],
  [binaryen.GlobalSetId, ['value']],
  [binaryen.LoadId, ['ptr']],
  [binaryen.StoreId, ['ptr', 'value']],
  [binaryen.ConstId, []],
  [binaryen.UnaryId, ['value']],
  [binaryen.BinaryId, ['left', 'right']],
  [binaryen.SelectId, ['ifTrue', 'ifFalse', 'condition']],
  [binaryen.DropId, ['value']],
  [binaryen.ReturnId, ['value']],
  [binaryen.NopId, []],
  [binaryen.UnreachableId, []],
  [binaryen.MemorySizeId, []],
  [binaryen.MemoryGrowId, ['delta']],
  [binaryen.AtomicRMWId, ['ptr', 'value']],
  [binaryen.AtomicCmpxchgId, ['ptr', 'expected', 'replacement']],
  [binaryen.AtomicWaitId, ['ptr', 'expected', 'timeout']],
  [binaryen.AtomicNotifyId, ['ptr', 'notifyCount']],
  [binaryen.AtomicFenceId, []],
  [binaryen.SIMDExtractId, ['vec']], // its `index` is the lane number
  [binaryen.SIMDReplaceId, ['vec', 'value']],
  [binaryen.SIMDShuffleId, ['left', 'right']],
  [binaryen.SIMDTernaryId, ['a', 'b', 'c']],
  [binaryen.SIMDShiftId, ['vec', 'shift']],
  [binaryen.SIMDLoadId, ['ptr']],
  [binaryen.SIMDLoadStoreLaneId, ['ptr', 'vec']],
  [binaryen.MemoryCopyId, ['dest', 'source', 'size']],
  [binaryen.MemoryFillId, ['dest', 'value', 'size']],
]);

/** Names of the functions in which some expression node has more than one parent. */
export function functionsWithSharedExpressions(m: binaryen.Module): string[] {
  const out: string[] = [];
  for (let f = 0; f < m.getNumFunctions(); f++) {
    const fn = binaryen.getFunctionInfo(m.getFunctionByIndex(f));
    if (fn.body && hasSharedNode(fn.body)) out.push(fn.name);
  }
  return out;
}

function hasSharedNode(body: Ref): boolean {
  const seen = new Set<Ref>();
  const stack: Ref[] = [body];
  while (stack.length > 0) {
    const e = stack.pop()!;
    if (seen.has(e)) return true;
    seen.add(e);
    const info = binaryen.getExpressionInfo(e) as unknown as Info & { id: number };
    const fields = CHILDREN.get(info.id);
    if (fields === undefined) throw new Error(`wasm printer: tree check does not know expression id ${info.id}`);
    for (const field of fields) {
      const child = info[field];
      if (Array.isArray(child)) stack.push(...(child as Ref[]));
      else if (typeof child === 'number' && child !== 0) stack.push(child);
    }
  }
  return false;
}
