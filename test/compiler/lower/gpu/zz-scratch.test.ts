import { it } from 'vitest';
import { graphOf } from '../harness.js';
import { lowerProgram } from '../../../../compiler/lower/lower-program.js';
import { WEBGPU_TARGET } from '../../../../compiler/kernel/program.js';
import { printKernel } from '../../../../compiler/kernel/print.js';
it('print', () => {
  const src = process.env.SRC!;
  const p = lowerProgram(graphOf(src), WEBGPU_TARGET);
  for (const k of p.kernels) console.log(printKernel(k));
  console.log(JSON.stringify(p.dispatches.map(d=>({k:d.kernel,grid:d.grid.map(x=>x.key),u:Object.fromEntries(Object.entries(d.uniforms).map(([a,b])=>[a,b.key]))}))));
});
