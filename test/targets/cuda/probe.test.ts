import { it } from 'vitest';
import { writeFileSync } from 'node:fs';
import { lowerProgram } from '../../../compiler/lower/lower-program.js';
import { CUDA_TARGET } from '../../../compiler/kernel/program.js';
import { CASES, GRAPH_CASES, graphOfCase } from '../../compiler/lower/op-cases.js';
import { graphOf } from '../../compiler/lower/harness.js';
import { printCudaModule } from '../../../targets/cuda/index.js';

it('probe', () => {
  const graphs = [...CASES.map((c) => graphOf(`model M(N) {\n${c.body}\n}`)), ...GRAPH_CASES.map(graphOfCase)];
  const kernels = graphs.flatMap((g, i) => lowerProgram(g, CUDA_TARGET).kernels.map((k) => ({ ...k, name: `c${i}_${k.name}` })));
  writeFileSync('/tmp/h13/all.cu', printCudaModule(kernels).source);
});
