// Matmul on GPU targets. (First cut: the CPU schedule's work items spread over threads by the
// generic adapter; the tiled schedule replaces it.)

import { WASM_TARGET, type TargetDescription } from '../../kernel/program.js';
import { lowerMatmul } from '../matmul.js';
import type { LoweredKernel, MatmulSpec } from '../specs.js';
import { adaptToGpu } from './adapter.js';

export function lowerMatmulGpu(spec: MatmulSpec, _target: TargetDescription): LoweredKernel {
  return adaptToGpu(lowerMatmul(spec, WASM_TARGET));
}
