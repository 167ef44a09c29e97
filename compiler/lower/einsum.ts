// Einsum to Kernel IR as a generic loop kernel: one output element per loop iteration sums,
// over every value of the labels missing from the output, the product of the operands'
// elements. Repeated labels in an operand walk its diagonal; an axis of size 1 under a longer
// label broadcasts. The product and the sum are f64 and rounded once on store, as in the
// interpreter (compiler/interpret/kernels/einsum.ts). Equations that are a batched matmul
// would run faster rewritten into transposes and a matmul; this kernel is the general case.

import { constValue, type Dim } from '../ir/dim.js';
import { parseEinsum } from '../ir/einsum.js';
import type { Node } from '../ir/node.js';
import { add, cast, constant, i32, KernelBuilder, mul } from '../kernel/builder.js';
import type { Expr } from '../kernel/ir.js';
import { bufferRecord, emitElementLoops } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { storeConverted } from './strided-index.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, unravel } from './view.js';

export function lowerEinsum(g: GroupLowering, node: Extract<Node, { op: 'einsum' }>): LoweredKernel {
  const plan = parseEinsum(node.attrs.equation, node.src.map((s) => s.shape.length));
  if (typeof plan === 'string') throw new LoweringError('einsum', ` (${plan})`);
  computeType(node);
  // Each label's size: the first axis it names that is not a constant 1 (those broadcast).
  const size = new Map<string, Dim>();
  plan.operands.forEach((labels, k) => labels.forEach((l, a) => {
    const d = node.src[k]!.shape[a]!;
    const cur = size.get(l);
    if (cur === undefined || constValue(cur) === 1) size.set(l, d);
  }));
  const sumLabels = [...size.keys()].filter((l) => !plan.output.includes(l));
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');

  const grid = emitElementLoops(kb, uniforms, node.shape, true, false, (_index, outFlat) => {
    const labelIndex = new Map<string, Expr>();
    unravel(node.shape, outFlat, kb, uniforms).forEach((e, a) => labelIndex.set(plan.output[a]!, e.kind === 'binary' ? kb.let('i', e) : e));
    const total = kb.let('total', constant('f64', 0));
    const sums = (s: number): void => {
      if (s === sumLabels.length) {
        const ctx = fusedContext(g, kb, uniforms, 1);
        let product: Expr | undefined;
        node.src.forEach((operand, k) => {
          const at = plan.operands[k]!.map((l, a) => {
            const broadcast = constValue(operand.shape[a]!) === 1 && constValue(size.get(l)!) !== 1;
            return broadcast ? i32(0) : labelIndex.get(l)!;
          });
          const v = cast(emitValue(ctx, operand, multi(at)), 'f64');
          product = product ? mul(product, v) : v;
        });
        kb.set(total, add(total, product ?? constant('f64', 1)));
        return;
      }
      const l = sumLabels[s]!;
      kb.loop(`s_${l.replace(/\W/g, '')}`, i32(0), dimExpr(size.get(l)!, kb, uniforms), 'serial', (v) => {
        labelIndex.set(l, v);
        sums(s + 1);
      });
    };
    sums(0);
    kb.emit(storeConverted(out, outFlat, total));
  });
  const k = kb.finish();
  return { kernel: k, buffers: bufferRecord(k), uniforms: uniformRecord(uniforms), grid };
}
