// Convolution on GPU targets, first cut: direct convolution with one thread per output
// element (n, m, position) — consecutive threads take consecutive positions, so their input
// reads and output stores are neighbours. Each thread walks its group's input channels and
// the kernel taps, skipping taps in the padding, then adds the bias and runs the epilogue, as
// the CPU schedule does. (An implicit-GEMM schedule staging tiles through workgroup memory,
// as gpu/matmul.ts does, is the next step for large channel counts.)

import { ceilDivDim, divDim, mulDim, type Dim } from '../../ir/dim.js';
import { KernelBuilder, add, and, cast, div, f32, fma, ge, i32, load, lt, mul, sub } from '../../kernel/builder.js';
import type { Expr } from '../../kernel/ir.js';
import type { TargetDescription } from '../../kernel/program.js';
import { product } from '../group-context.js';
import type { ConvSpec, LoweredKernel } from '../specs.js';
import { storeConverted, unflatten } from '../strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from '../uniforms.js';
import { threadLoop, workgroupGrid } from './grid.js';

export const CONV_THREADS = 256;

export function lowerConvGpu(spec: ConvSpec, target: TargetDescription): LoweredKernel {
  const threads = Math.min(CONV_THREADS, target.maxWorkgroupInvocations ?? CONV_THREADS);
  const spatial = spec.xShape.length - 2;
  const { strides, pads, dilations, group } = spec.attrs;
  const kb = new KernelBuilder(spec.name, spec.sources);
  const uniforms: UniformDims = new Map();
  const dim = (d: Dim): Expr => dimExpr(d, kb, uniforms);
  const X = kb.buffer(spec.x.value, spec.x.dtype, 'read');
  const W = kb.buffer(spec.w.value, spec.w.dtype, 'read');
  const Bias = spec.bias && kb.buffer(spec.bias.value, spec.bias.dtype, 'read');
  const O = kb.buffer(spec.out.value, spec.out.dtype, 'write');

  const channels = spec.wShape[0]!;
  const channelsPerGroup = divDim(channels, group);
  const outSpatial = spec.outShape.slice(2);
  const positions = product(outSpatial);
  const total = mulDim(mulDim(spec.xShape[0]!, channels), positions);

  const grid = workgroupGrid(kb, uniforms, ceilDivDim(total, threads), (wg) => {
    threadLoop(kb, threads, (t) => {
      const e = kb.let('e', add(mul(wg, i32(threads)), t));
      kb.when(lt(e, dim(total)), () => {
        const M = dim(channels), P = dim(positions);
        const [batch, m, p] = unflatten(kb, e, [dim(spec.xShape[0]!), M, P], ['batch', 'm', 'p']) as [Expr, Expr, Expr];
        const coords = unflatten(kb, p, outSpatial.map(dim), outSpatial.map((_, d) => `o${d}`));
        const origin = coords.map((o, d) => kb.let(`origin${d}`, sub(mul(o, i32(strides[d]!)), i32(pads[d]!))));
        const firstChannel = kb.let('first_channel', mul(div(m, dim(channelsPerGroup)), dim(spec.wShape[1]!)));
        const xBatch = kb.let('x_batch', add(dim(spec.x.offset), mul(batch, dim(spec.x.strides[0]!))));
        const wRow = kb.let('w_row', add(dim(spec.w.offset), mul(m, dim(spec.w.strides[0]!))));
        const acc = kb.let('acc', f32(0));
        kb.loop('c', i32(0), dim(spec.wShape[1]!), 'serial', (c) => {
          const xChannel = kb.let('x_channel', add(xBatch, mul(add(firstChannel, c), dim(spec.x.strides[1]!))));
          const wChannel = kb.let('w_channel', add(wRow, mul(c, dim(spec.w.strides[1]!))));
          // One loop per kernel axis; each level adds its axis to the gather index and validity.
          const taps = (d: number, xIndex: Expr, valid: Expr | undefined, wIndex: Expr): void => {
            if (d === spatial) {
              const tap = (): void => kb.set(acc, fma(cast(load(W, wIndex), 'f32'), cast(load(X, xIndex), 'f32'), acc));
              if (valid) kb.when(valid, tap);
              else tap();
              return;
            }
            kb.loop(`k${d}`, i32(0), dim(spec.wShape[2 + d]!), 'serial', (k) => {
              const at = kb.let(`in${d}`, add(origin[d]!, mul(k, i32(dilations[d]!))));
              const inside = and(ge(at, i32(0)), lt(at, dim(spec.xShape[2 + d]!)));
              taps(d + 1,
                kb.let('x_index', add(xIndex, mul(at, dim(spec.x.strides[2 + d]!)))),
                kb.let('valid', valid ? and(valid, inside) : inside),
                add(wIndex, mul(k, dim(spec.w.strides[2 + d]!))));
            });
          };
          taps(0, xChannel, undefined, wChannel);
        });
        let value: Expr = acc;
        if (Bias && spec.bias) value = add(value, cast(load(Bias, add(dim(spec.bias.offset), mul(m, dim(spec.bias.strides[0]!)))), 'f32'));
        if (spec.epilogue) value = spec.epilogue(kb, value, { batch: [batch], row: m, col: p }, uniforms);
        kb.emit(storeConverted(O, e, value));
      });
    });
  });

  const kernel = kb.finish();
  const buffers: Record<string, string> = { [X.name]: spec.x.value, [W.name]: spec.w.value, [O.name]: spec.out.value };
  if (Bias && spec.bias) buffers[Bias.name] = spec.bias.value;
  for (const extra of spec.extraInputs) if (kernel.buffers.some((b) => b.name === extra.value)) buffers[extra.value] = extra.value;
  return { kernel, buffers, uniforms: uniformRecord(uniforms), grid };
}
