// Transposed convolution (1 to 3 spatial axes) to Kernel IR, as a gather: one output element per
// loop iteration sums, over its group's input channels and the kernel taps, the inputs that
// the interpreter's scatter would have sent to it —
//   y[n, m, o] = bias[m] + Σ_{c, k} x[n, g·Cg + c, i] · w[g·Cg + c, m mod Mg, k]
//   where o = i·stride - padBegin + k·dilation, 0 <= i < in, g = m / Mg.
// The sum is in f64 as the interpreter's (compiler/interpret/kernels/conv.ts); output positions
// that no tap reaches (negative pads) get the bias alone. A simple schedule, for correctness:
// decoder-sized transposed convolutions would want the implicit-GEMM tiling conv.ts uses.

import { constDim, divDim, type Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import { add, and, cast, constant, div, eq, ge, i32, KernelBuilder, lt, mul, rem, sub } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord, emitElementLoops } from './elementwise.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { storeConverted } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

export function lowerConvTranspose(g: GroupLowering, node: Extract<Node, { op: 'conv_transpose' }>): LoweredKernel {
  const [x, w, bias] = node.src as [Node, Node, Node | undefined];
  const { strides, pads, dilations, group, hasBias } = node.attrs;
  const spatial = x.shape.length - 2;
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  computeType(node);
  const channelsPerGroup = divDim(x.shape[1]!, constDim(group));
  const outPerGroup = w.shape[1]!;

  const grid = emitElementLoops(kb, uniforms, node.shape, true, false, (_index, outFlat) => {
    const ctx = fusedContext(g, kb, uniforms, 1);
    const [n, m, ...o] = unravel(node.shape, outFlat, kb, uniforms).map((e) => (e.kind === 'binary' ? kb.let('i', e) : e)) as Expr[];
    const Mg = dim(outPerGroup);
    const firstChannel = kb.let('first_channel', mul(div(m!, Mg), dim(channelsPerGroup)));
    const wColumn = kb.let('w_column', rem(m!, Mg));
    const sum = kb.let('sum', hasBias && bias ? cast(emitValue(ctx, bias, multi([m!])), 'f64') : constant('f64', 0));
    kb.loop('c', i32(0), dim(channelsPerGroup), 'serial', (c) => {
      const channel = kb.let('channel', add(firstChannel, c));
      const taps = (a: number, inIdx: readonly Expr[], kIdx: readonly Expr[], valid: Expr | undefined): void => {
        if (a === spatial) {
          const tap = (): void => {
            const inner = fusedContext(g, kb, uniforms, 1);
            const xv = cast(emitValue(inner, x, multi([n!, channel, ...inIdx])), 'f64');
            const wv = cast(emitValue(inner, w, multi([channel, wColumn, ...kIdx])), 'f64');
            kb.set(sum, add(sum, mul(xv, wv)));
          };
          if (valid) kb.when(valid, tap);
          else tap();
          return;
        }
        kb.loop(`k${a}`, i32(0), dim(w.shape[2 + a]!), 'serial', (k) => {
          const t = kb.let(`t${a}`, sub(add(o[a]!, i32(pads[a]!)), mul(k, i32(dilations[a]!))));
          const i = kb.let(`in${a}`, div(t, i32(strides[a]!)));
          const ok = and(and(ge(t, i32(0)), eq(rem(t, i32(strides[a]!)), i32(0))), lt(i, dim(x.shape[2 + a]!)));
          taps(a + 1, [...inIdx, i], [...kIdx, k], valid ? and(valid, ok) : ok);
        });
      };
      taps(0, [], [], undefined);
    });
    kb.emit(storeConverted(out, outFlat, sum));
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid };
}
