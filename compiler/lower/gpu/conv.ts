// Convolution on GPU targets. (First cut: the CPU schedule through the generic adapter.)

import { WASM_TARGET, type TargetDescription } from '../../kernel/program.js';
import { lowerConv } from '../conv.js';
import type { ConvSpec, LoweredKernel } from '../specs.js';
import { adaptToGpu } from './adapter.js';

export function lowerConvGpu(spec: ConvSpec, _target: TargetDescription): LoweredKernel {
  return adaptToGpu(lowerConv(spec, WASM_TARGET));
}
