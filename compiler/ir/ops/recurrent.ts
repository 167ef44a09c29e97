// Recurrent layers: one `rnn` op per result (Y, Y_h, Y_c) of an ONNX LSTM, GRU or RNN, kept
// whole so a target can run the sequence loop in one kernel. Semantics in
// interpret/kernels/recurrent.ts; operand layout in node.ts.

import { constDim, dimEquals, printShape, type Dim } from '../dim.js';
import { DTYPES } from '../dtype.js';
import type { OpAttrs } from '../node.js';
import { fail, type TensorType } from '../types.js';
import type { OpTable } from './op-info.js';
import { RNN_ACTIVATIONS_PER_DIRECTION, RNN_GATES, rnn, type RnnOptionalInput } from '../../interpret/kernels/recurrent.js';

const OPTIONAL_ORDER: readonly RnnOptionalInput[] = ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'];
const ACTIVATIONS: ReadonlySet<string> = new Set([
  'Relu', 'Tanh', 'Sigmoid', 'Affine', 'LeakyRelu', 'ThresholdedRelu', 'ScaledTanh', 'HardSigmoid', 'Elu', 'Softsign', 'Softplus',
]);

function expectShape(role: string, t: TensorType, shape: readonly Dim[]): void {
  if (t.shape.length !== shape.length || !t.shape.every((d, i) => dimEquals(d, shape[i]!))) {
    fail('shapeMismatch', `rnn ${role} must have shape ${printShape(shape)}, got ${printShape(t.shape)}`);
  }
}

function checkAttrs(attrs: OpAttrs['rnn'], dirs: number): void {
  const { cell } = attrs;
  if (!(cell in RNN_GATES)) fail('badAttribute', `rnn cell must be lstm, gru or rnn, got '${String(cell)}'`);
  if (!Number.isInteger(attrs.hiddenSize) || attrs.hiddenSize < 1) fail('badAttribute', `rnn hiddenSize must be a positive integer, got ${attrs.hiddenSize}`);
  if (attrs.layout !== 0 && attrs.layout !== 1) fail('badAttribute', `rnn layout must be 0 or 1, got ${String(attrs.layout)}`);
  const count = RNN_ACTIVATIONS_PER_DIRECTION[cell] * dirs;
  if (attrs.activations.length !== count || attrs.activationAlpha.length !== count || attrs.activationBeta.length !== count) {
    fail('badAttribute', `rnn (${cell}, ${attrs.direction}) needs ${count} activations with one alpha and beta each, got ${attrs.activations.length}`);
  }
  for (const a of attrs.activations) if (!ACTIVATIONS.has(a)) fail('badAttribute', `rnn activation '${String(a)}' is not one of ${[...ACTIVATIONS].join(', ')}`);
  if (attrs.clip !== undefined && !(attrs.clip >= 0)) fail('badAttribute', `rnn clip must be a non-negative number, got ${attrs.clip}`);
  let last = -1;
  for (const name of attrs.inputs) {
    const k = OPTIONAL_ORDER.indexOf(name);
    if (k <= last) fail('badAttribute', `rnn inputs must be distinct and in the order ${OPTIONAL_ORDER.join(', ')}`);
    last = k;
  }
  if (cell !== 'lstm' && (attrs.inputs.includes('initial_c') || attrs.inputs.includes('P') || attrs.output === 'Y_c')) {
    fail('badAttribute', `rnn ${cell} has no cell state or peepholes (initial_c, P, Y_c are LSTM's)`);
  }
  if (attrs.cell !== 'lstm' && attrs.inputForget) fail('badAttribute', 'rnn inputForget is an LSTM option');
  if (attrs.cell !== 'gru' && attrs.linearBeforeReset) fail('badAttribute', 'rnn linearBeforeReset is a GRU option');
}

export const RECURRENT_OPS = {
  rnn: {
    category: 'recurrent',
    arity: [3, 8],
    infer(src, attrs) {
      const dirs = attrs.direction === 'bidirectional' ? 2 : attrs.direction === 'forward' || attrs.direction === 'reverse' ? 1 : 0;
      if (dirs === 0) fail('badAttribute', `rnn direction must be forward, reverse or bidirectional, got '${String(attrs.direction)}'`);
      checkAttrs(attrs, dirs);
      if (src.length !== 3 + attrs.inputs.length) fail('badAttribute', `rnn has ${src.length} operands but names ${3 + attrs.inputs.length}`);
      const [x, w, r] = src as [TensorType, TensorType, TensorType];
      if (!DTYPES[x.dtype].isFloat) fail('dtypeMismatch', `rnn needs a floating-point input, got ${x.dtype}`);
      if (x.shape.length !== 3) fail('badRank', 'rnn X', 3, x.shape.length);
      const [a, b, input] = x.shape as [Dim, Dim, Dim];
      const [seq, batch] = attrs.layout === 0 ? [a, b] : [b, a];
      const hidden = constDim(attrs.hiddenSize);
      const rows = constDim(RNN_GATES[attrs.cell] * attrs.hiddenSize);
      const D = constDim(dirs);
      const state = attrs.layout === 0 ? [D, batch, hidden] : [batch, D, hidden];
      expectShape('W', w, [D, rows, input]);
      expectShape('R', r, [D, rows, hidden]);
      const expected: Record<RnnOptionalInput, readonly Dim[]> = {
        B: [D, constDim(2 * RNN_GATES[attrs.cell] * attrs.hiddenSize)],
        sequence_lens: [batch],
        initial_h: state,
        initial_c: state,
        P: [D, constDim(3 * attrs.hiddenSize)],
      };
      attrs.inputs.forEach((name, i) => {
        const t = src[3 + i]!;
        expectShape(name, t, expected[name]);
        if (name === 'sequence_lens' ? !DTYPES[t.dtype].isInt : t.dtype !== x.dtype) {
          fail('dtypeMismatch', `rnn ${name} must be ${name === 'sequence_lens' ? 'an integer tensor' : x.dtype}, got ${t.dtype}`);
        }
      });
      for (const t of [w, r]) if (t.dtype !== x.dtype) fail('dtypeMismatch', `rnn weights must be ${x.dtype} like X, got ${t.dtype}`);
      if (attrs.output === 'Y') return { dtype: x.dtype, shape: attrs.layout === 0 ? [seq, D, batch, hidden] : [batch, seq, D, hidden] };
      if (attrs.output !== 'Y_h' && attrs.output !== 'Y_c') fail('badAttribute', `rnn output must be Y, Y_h or Y_c, got '${String(attrs.output)}'`);
      return { dtype: x.dtype, shape: state };
    },
    evaluate: (src, attrs, ctx) => rnn(src, attrs, ctx.dtype),
  },
} satisfies Partial<OpTable>;
