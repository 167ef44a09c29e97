// softmax, log_softmax, layer_norm and rms_norm on GPU targets: the CPU schedule's row math
// (emitNormRow) with a row-parallel loop structure (rows.ts) — each statistic is a strided
// per-thread partial combined across the row (rows.ts rowReduce: warps on CUDA, subgroups in the WebGPU subgroup variant, else a tree), and the last pass writes the
// row's elements strided over its threads.

import { binary, f32, KernelBuilder } from '../../kernel/builder.js';
import { bufferRecord } from '../elementwise.js';
import { sources, type GroupLowering } from '../group-context.js';
import { emitNormRow, planNorm, type NormRowLoops } from '../norm.js';
import type { LoweredKernel } from '../specs.js';
import { uniformRecord, type UniformDims } from '../uniforms.js';
import { chooseRowLayout, emitRowGroups, rowReduce } from './rows.js';

export function lowerNormGpu(g: GroupLowering): LoweredKernel {
  const plan = planNorm(g);
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  kb.buffer(g.out.value, g.out.dtype, 'write');
  const layout = chooseRowLayout(g.target, plan.rowLength);
  const P = layout.threadsPerRow;
  const grid = emitRowGroups(kb, uniforms, plan.rows, layout, ['f32'], (t) => {
    const loops: NormRowLoops = {
      accumulate: (L, op, init, f) => {
        const acc = kb.let('acc', f32(init));
        kb.loop('k', t.lane, L, 'serial', (k) => kb.set(acc, binary(op, acc, f(k, 1, undefined))), P);
        return rowReduce(kb, t, acc, op);
      },
      forEach: (L, body) => kb.when(t.valid, () => kb.loop('k', t.lane, L, 'serial', (k) => body(k, 1, undefined), P)),
    };
    emitNormRow(g, kb, uniforms, plan, t.row, loops);
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid };
}
