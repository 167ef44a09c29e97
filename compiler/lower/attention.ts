// Attention to Kernel IR: picks the schedule. GPU targets take compiler/lower/gpu/attention.ts;
// on the CPU (WASM) the blocked flash schedule (attention-flash.ts: rows along the vector
// lanes, keys in blocks, one softmax rescale per block) takes constant head dims and heads of
// at least 4 query rows, and the one-key-at-a-time schedule (attention-per-key.ts) the rest.
// Neither ever holds an Sq × Skv buffer.

import { constValue, divDim, mulDim } from '../ir/dim.js';
import type { TargetDescription } from '../kernel/program.js';
import { chooseAttentionFlashBlock } from '../schedule/tiles.js';
import { flashAttentionApplies, lowerAttentionFlash } from './attention-flash.js';
import { lowerAttentionPerKey } from './attention-per-key.js';
import { lowerAttentionGpu } from './gpu/attention.js';
import type { AttentionSpec, LoweredKernel } from './specs.js';

export function lowerAttention(spec: AttentionSpec, target: TargetDescription): LoweredKernel {
  if (target.name !== 'wasm') return lowerAttentionGpu(spec, target);
  if (!flashAttentionApplies(spec, target.vectorLanes)) return lowerAttentionPerKey(spec, target);
  const rows = constValue(mulDim(divDim(spec.hq, spec.hkv), spec.sq));
  return lowerAttentionFlash(spec, chooseAttentionFlashBlock(target, rows, constValue(spec.dk), constValue(spec.dv)));
}
