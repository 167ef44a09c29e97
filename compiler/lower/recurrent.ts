// Recurrent layers (one `rnn` node: the Y, Y_h or Y_c of an ONNX LSTM, GRU or RNN) to one
// sequential kernel: a work item per batch entry runs every direction over the whole
// sequence, keeping the state in private f64 arrays. It follows the interpreter
// (compiler/interpret/kernels/recurrent.ts) step for step — gate sums, products and
// activations in f64, the state rounded to the dtype after every step — so results match it
// to the last bit but for the math library's rounding of exp and tanh.
//
// A sequence length out of range is a data error: the kernel clamps it and flags it in the
// status words (error-sites.ts), as the interpreter refuses it (SL2013).

import type { Dim } from '../ir/dim.js';
import type { Node } from '../ir/node.js';
import {
  add, arrayLoad, cast, constant, div, ge, gt, i32, KernelBuilder, lt, max, min, mul, or, select, store, sub, unary,
} from '../kernel/builder.js';
import type { Expr, ScalarType } from '../kernel/ir.js';
import { RNN_ACTIVATIONS_PER_DIRECTION, RNN_GATES, type RnnActivation, type RnnAttrs, type RnnOptionalInput } from '../interpret/kernels/recurrent.js';
import { bufferRecord } from './elementwise.js';
import { LoweringError } from './errors.js';
import { computeType, emitValue } from './fused-expr.js';
import { fusedContext, sources, type GroupLowering } from './group-context.js';
import type { LoweredKernel } from './specs.js';
import { dimExpr, uniformRecord, type UniformDims } from './uniforms.js';
import { multi, toFlat } from './view.js';

type RnnNode = Extract<Node, { op: 'rnn' }>;

const f64 = (v: number): Expr => constant('f64', v);

/** An activation on an f64 value, as the interpreter's rnnActivation computes it. */
function activation(name: RnnActivation, alpha: number, beta: number, x: Expr): Expr {
  switch (name) {
    case 'Relu': return select(lt(x, f64(0)), f64(0), x);
    case 'Tanh': return unary('tanh', x);
    case 'Sigmoid': {
      // The interpreter's stable form: 1/(1+e^-x) for x ≥ 0, e^x/(1+e^x) below.
      const e = unary('exp', x);
      return select(ge(x, f64(0)), div(f64(1), add(f64(1), unary('exp', unary('neg', x)))), div(e, add(f64(1), e)));
    }
    case 'Affine': return add(mul(f64(alpha), x), f64(beta));
    case 'LeakyRelu': return select(ge(x, f64(0)), x, mul(f64(alpha), x));
    case 'ThresholdedRelu': return select(ge(x, f64(alpha)), x, f64(0));
    case 'ScaledTanh': return mul(f64(alpha), unary('tanh', mul(f64(beta), x)));
    case 'HardSigmoid': return min(max(add(mul(f64(alpha), x), f64(beta)), f64(0)), f64(1));
    case 'Elu': return select(ge(x, f64(0)), x, mul(f64(alpha), sub(unary('exp', x), f64(1))));
    case 'Softsign': return div(x, add(f64(1), unary('abs', x)));
    case 'Softplus': return select(gt(x, f64(0)),
      add(x, unary('log', add(f64(1), unary('exp', unary('neg', x))))),
      unary('log', add(f64(1), unary('exp', x))));
  }
}

export function lowerRnn(g: GroupLowering, node: RnnNode): LoweredKernel {
  const attrs: RnnAttrs = node.attrs;
  const stateType = computeType(node);
  if (node.dtype === 'bf16') throw new LoweringError('rnn', ' (bf16 state rounding has no kernel form yet)');
  const kb = new KernelBuilder(g.name, sources(g.group));
  const uniforms: UniformDims = new Map();
  const out = kb.buffer(g.out.value, g.out.dtype, 'write');
  const [xNode, wNode, rNode] = node.src as [Node, Node, Node];
  const operand = (name: RnnOptionalInput): Node | undefined => {
    const i = attrs.inputs.indexOf(name);
    return i < 0 ? undefined : node.src[3 + i];
  };
  const bNode = operand('B'), lensNode = operand('sequence_lens'), h0Node = operand('initial_h'), c0Node = operand('initial_c'), pNode = operand('P');

  const dirs = attrs.direction === 'bidirectional' ? 2 : 1;
  const hidden = attrs.hiddenSize;
  const gates = RNN_GATES[attrs.cell];
  const per = RNN_ACTIVATIONS_PER_DIRECTION[attrs.cell];
  const [a0, a1, inputDim] = xNode.shape as [Dim, Dim, Dim];
  const [seqDim, batchDim] = attrs.layout === 0 ? [a0, a1] : [a1, a0];

  /** A value of `n` at `idx`, as f64 (operands' fused prologues are computed here). */
  const read = (n: Node, idx: readonly Expr[]): Expr => {
    const v = emitValue(fusedContext(g, kb, uniforms, 1), n, multi(idx));
    return v.type === 'f64' ? v : cast(v, 'f64');
  };
  const round = (v: Expr): Expr => (stateType === 'f64' ? v : cast(cast(v, stateType as ScalarType), 'f64'));
  const clip = (v: Expr): Expr => (attrs.clip === undefined ? v : min(max(v, f64(-attrs.clip)), f64(attrs.clip)));
  const setArray = (array: string, index: Expr, value: Expr): void => kb.emit({ kind: 'array_store', array, index, value });
  const outAt = (idx: readonly Expr[]): Expr => toFlat(multi(idx), node.shape, kb, uniforms);

  kb.loop('b', i32(0), dimExpr(batchDim, kb, uniforms), 'grid.x', (b) => {
    const seq = dimExpr(seqDim, kb, uniforms);
    const input = dimExpr(inputDim, kb, uniforms);
    const xAt = (t: Expr, k: Expr): Expr[] => (attrs.layout === 0 ? [t, b, k] : [b, t, k]);
    const stateAt = (d: number, j: Expr): Expr[] => (attrs.layout === 0 ? [i32(d), b, j] : [b, i32(d), j]);
    const yAt = (t: Expr, d: number, j: Expr): Expr[] => (attrs.layout === 0 ? [t, i32(d), b, j] : [b, t, i32(d), j]);

    // The steps this batch entry runs: sequence_lens[b], checked, then clamped to [0, seq].
    let len = seq;
    if (lensNode) {
      const given = emitValue(fusedContext(g, kb, uniforms, 1), lensNode, multi([b]));
      const wide = (e: Expr): Expr => (given.type === 'i32' ? e : cast(e, given.type));
      g.errors?.check(kb, node, or(lt(given, wide(i32(0))), gt(given, wide(seq))), [given, b], 'sequenceLengthOutOfRange',
        [{ value: 0 }, { value: 1 }, { dim: seqDim }]);
      len = kb.let('len', min(max(cast(given, 'i32'), i32(0)), seq));
    }

    const H = kb.array('H', 'f64', hidden, 'private');
    const C = kb.array('C', 'f64', hidden, 'private');
    const pre = kb.array('pre', 'f64', gates * hidden, 'private');
    const gru = attrs.cell === 'gru' ? { z: kb.array('z', 'f64', hidden, 'private'), rh: kb.array('rh', 'f64', hidden, 'private') } : undefined;
    const h = (j: Expr): Expr => arrayLoad(H, 'f64', j);
    const c = (j: Expr): Expr => arrayLoad(C, 'f64', j);
    const p = (row: Expr): Expr => arrayLoad(pre, 'f64', row);

    for (let d = 0; d < dirs; d++) {
      const act = (k: number) => (x: Expr): Expr => activation(attrs.activations[d * per + k]!, attrs.activationAlpha[d * per + k]!, attrs.activationBeta[d * per + k]!, x);
      const f = act(0);
      const gAct = per > 1 ? act(1) : f;
      const hAct = per > 2 ? act(2) : f;
      const reverse = attrs.direction === 'reverse' || d === 1;
      const wBias = (row: Expr): Expr => read(bNode!, [i32(d), row]);
      const rBias = (row: Expr): Expr => read(bNode!, [i32(d), add(row, i32(gates * hidden))]);
      const peep = (k: number, j: Expr, cj: Expr, v: Expr): Expr => (pNode ? add(v, mul(read(pNode, [i32(d), add(i32(k * hidden), j)]), cj)) : v);
      /** Σ_k X[t, b, k] · W[d, row, k]. */
      const dotX = (t: Expr, row: Expr): Expr => {
        const s = kb.let('sx', f64(0));
        kb.loop('k', i32(0), input, 'serial', (k) => kb.set(s, add(s, mul(read(xNode, xAt(t, k)), read(wNode, [i32(d), row, k])))));
        return s;
      };
      /** Σ_k v[k] · R[d, row, k] over an f64 array. */
      const dotR = (v: string, row: Expr): Expr => {
        const s = kb.let('sr', f64(0));
        kb.loop('k', i32(0), i32(hidden), 'serial', (k) => kb.set(s, add(s, mul(arrayLoad(v, 'f64', k), read(rNode, [i32(d), row, k])))));
        return s;
      };

      kb.loop('j', i32(0), i32(hidden), 'serial', (j) => {
        setArray(H, j, h0Node ? read(h0Node, stateAt(d, j)) : f64(0));
        setArray(C, j, c0Node ? read(c0Node, stateAt(d, j)) : f64(0));
      });
      kb.loop('step', i32(0), len, 'serial', (step) => {
        const t = kb.let('t', reverse ? sub(sub(len, i32(1)), step) : step);
        // Gate sums; the GRU's hidden gate gets its recurrence below.
        const recurrentRows = (attrs.cell === 'gru' ? 2 : gates) * hidden;
        kb.loop('row', i32(0), i32(recurrentRows), 'serial', (row) => {
          const sx = dotX(t, row);
          const sh = dotR(H, row);
          setArray(pre, row, add(sx, bNode ? add(sh, add(wBias(row), rBias(row))) : sh));
        });
        if (recurrentRows < gates * hidden) {
          kb.loop('row', i32(recurrentRows), i32(gates * hidden), 'serial', (row) => setArray(pre, row, dotX(t, row)));
        }
        const J = (base: number, j: Expr): Expr => add(i32(base), j);
        switch (attrs.cell) {
          case 'rnn':
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => setArray(H, j, round(f(clip(p(j))))));
            break;
          case 'gru': {
            const { z, rh } = gru!;
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => {
              setArray(z, j, f(clip(p(j))));
              const r = kb.let('r', f(clip(p(J(hidden, j)))));
              setArray(rh, j, attrs.linearBeforeReset ? r : mul(r, h(j)));
            });
            // Candidates need the old H (through rh or H·Rh), so they go to `pre`'s hidden-gate rows first.
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => {
              const row = kb.let('row', J(2 * hidden, j));
              const rb = bNode ? rBias(row) : f64(0);
              const recurrence = attrs.linearBeforeReset
                ? mul(arrayLoad(rh, 'f64', j), add(dotR(H, row), rb))
                : add(dotR(rh, row), rb);
              const sum = add(add(p(row), recurrence), bNode ? wBias(row) : f64(0));
              setArray(pre, row, gAct(clip(sum)));
            });
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => {
              const zj = kb.let('zj', arrayLoad(z, 'f64', j));
              setArray(H, j, round(add(mul(sub(f64(1), zj), p(J(2 * hidden, j))), mul(zj, h(j)))));
            });
            break;
          }
          case 'lstm':
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => {
              const i = kb.let('i', f(clip(peep(0, j, c(j), p(j)))));
              const fg = kb.let('fg', attrs.inputForget ? sub(f64(1), i) : f(clip(peep(2, j, c(j), p(J(2 * hidden, j))))));
              const cand = kb.let('cand', gAct(clip(p(J(3 * hidden, j)))));
              setArray(C, j, round(add(mul(fg, c(j)), mul(i, cand))));
              const o = kb.let('o', f(clip(peep(1, j, c(j), p(J(hidden, j))))));
              setArray(H, j, round(mul(o, hAct(c(j)))));
            });
            break;
        }
        if (attrs.output === 'Y') kb.loop('j', i32(0), i32(hidden), 'serial', (j) => kb.emit(store(out, outAt(yAt(t, d, j)), cast(h(j), stateType))));
      });
      switch (attrs.output) {
        case 'Y':
          // Steps past this entry's length are 0.
          kb.loop('t', len, seq, 'serial', (t) => {
            kb.loop('j', i32(0), i32(hidden), 'serial', (j) => kb.emit(store(out, outAt(yAt(t, d, j)), constant(stateType, 0))));
          });
          break;
        case 'Y_h': case 'Y_c':
          kb.loop('j', i32(0), i32(hidden), 'serial', (j) => kb.emit(store(out, outAt(stateAt(d, j)), cast(attrs.output === 'Y_h' ? h(j) : c(j), stateType))));
          break;
      }
    }
  });
  const kernel = kb.finish();
  return { kernel, buffers: bufferRecord(kernel), uniforms: uniformRecord(uniforms), grid: [batchDim] };
}
