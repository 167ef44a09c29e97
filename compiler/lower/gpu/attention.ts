// Attention on GPU targets. (First cut: the CPU schedule through the generic adapter.)

import { WASM_TARGET, type TargetDescription } from '../../kernel/program.js';
import { lowerAttention } from '../attention.js';
import type { AttentionSpec, LoweredKernel } from '../specs.js';
import { adaptToGpu } from './adapter.js';

export function lowerAttentionGpu(spec: AttentionSpec, _target: TargetDescription): LoweredKernel {
  return adaptToGpu(lowerAttention(spec, WASM_TARGET));
}
