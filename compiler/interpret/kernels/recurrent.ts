// Recurrent layers: ONNX LSTM, GRU and RNN, one direction at a time, one batch entry at a time.
//
// Per step t (layout 0 names; layout 1 only moves batch first in X, Y, initial and final states):
//   RNN   H = f(Xt·Wiᵀ + H·Riᵀ + Wbi + Rbi)
//   GRU   z = f(Xt·Wzᵀ + H·Rzᵀ + Wbz + Rbz)          r = f(Xt·Wrᵀ + H·Rrᵀ + Wbr + Rbr)
//         h = g(Xt·Whᵀ + (r ⊙ H)·Rhᵀ + Rbh + Wbh)   or, linear_before_reset,
//         h = g(Xt·Whᵀ + r ⊙ (H·Rhᵀ + Rbh) + Wbh);  H = (1 - z) ⊙ h + z ⊙ H
//   LSTM  i = f(Xt·Wiᵀ + H·Riᵀ + Pi ⊙ C + Wbi + Rbi)   f = f(... + Pf ⊙ C ...) (1 - i with input_forget)
//         c = g(Xt·Wcᵀ + H·Rcᵀ + Wbc + Rbc)          C = f ⊙ C + i ⊙ c
//         o = f(Xt·Woᵀ + H·Roᵀ + Po ⊙ C + Wbo + Rbo)  H = o ⊙ h(C)
// Weight rows are in the gate order LSTM i o f c, GRU z r h; B is [Wb, Rb]; P is [Pi, Po, Pf].
// `clip` bounds the input of every gate activation (f, g) to [-clip, clip]; LSTM's cell state
// goes to h unclipped, as in onnxruntime (ONNX's text says only "the input of activations"),
// and no clip is applied when none is given. The reverse direction runs from the
// last valid step down to the first. With sequence_lens, a batch entry runs its first len
// steps only: Y is 0 past them, and Y_h, Y_c hold the state after its last step (the initial
// state when len is 0), as in the ONNX reference implementation.
//
// Numbers: gate sums, products and activations are computed in f64; the state (H and C) is
// rounded to the dtype after every step, as storing Y[t] would.

import type { DType } from '../../ir/dtype.js';
import type { OpAttrs } from '../../ir/node.js';
import { fail } from '../../ir/types.js';
import type { Tensor } from '../tensor.js';
import { sigmoid } from './elementwise.js';
import { floatRounding } from './quantize.js';
import { fromNumbers, readNumbers } from './storage.js';

export type RnnAttrs = OpAttrs['rnn'];
export type RnnCell = RnnAttrs['cell'];
export type RnnActivation = RnnAttrs['activations'][number];
export type RnnOptionalInput = RnnAttrs['inputs'][number];

/** Gate blocks in W and R (each `hidden` rows). */
export const RNN_GATES: Readonly<Record<RnnCell, number>> = { lstm: 4, gru: 3, rnn: 1 };
/** Activation functions per direction: LSTM f g h, GRU f g, RNN f. */
export const RNN_ACTIVATIONS_PER_DIRECTION: Readonly<Record<RnnCell, number>> = { lstm: 3, gru: 2, rnn: 1 };

/** An activation function with its alpha and beta bound (ONNX RNN activation list). */
export function rnnActivation(name: RnnActivation, alpha: number, beta: number): (x: number) => number {
  switch (name) {
    case 'Relu': return (x) => (x < 0 ? 0 : x);
    case 'Tanh': return Math.tanh;
    case 'Sigmoid': return sigmoid;
    case 'Affine': return (x) => alpha * x + beta;
    case 'LeakyRelu': return (x) => (x >= 0 ? x : alpha * x);
    case 'ThresholdedRelu': return (x) => (x >= alpha ? x : 0);
    case 'ScaledTanh': return (x) => alpha * Math.tanh(beta * x);
    case 'HardSigmoid': return (x) => Math.min(Math.max(alpha * x + beta, 0), 1);
    case 'Elu': return (x) => (x >= 0 ? x : alpha * Math.expm1(x));
    case 'Softsign': return (x) => x / (1 + Math.abs(x));
    // log(1 + e^x) without overflow for large x
    case 'Softplus': return (x) => (x > 0 ? x + Math.log1p(Math.exp(-x)) : Math.log1p(Math.exp(x)));
  }
}

/** The shapes of a recurrent layer's operands and results, from X's shape and the attributes. */
export interface RnnDims {
  readonly seq: number;
  readonly batch: number;
  readonly input: number;
  readonly hidden: number;
  readonly dirs: number;
}

/** Offsets of [t, d, b, j] in Y and of [d, b, j] in the states, for the layout. */
function offsets(attrs: RnnAttrs, n: RnnDims) {
  const { seq, batch, hidden, dirs } = n;
  return attrs.layout === 0
    ? {
        x: (t: number, b: number) => (t * batch + b) * n.input,
        y: (t: number, d: number, b: number) => ((t * dirs + d) * batch + b) * hidden,
        state: (d: number, b: number) => (d * batch + b) * hidden,
      }
    : {
        x: (t: number, b: number) => (b * seq + t) * n.input,
        y: (t: number, d: number, b: number) => ((b * seq + t) * dirs + d) * hidden,
        state: (d: number, b: number) => (b * dirs + d) * hidden,
      };
}

/** Σ_k v[k] · m[row, k] over a row-major matrix block starting at `base`. */
function dot(v: ArrayLike<number>, vOff: number, m: ArrayLike<number>, base: number, len: number): number {
  let s = 0;
  for (let k = 0; k < len; k++) s += v[vOff + k]! * m[base + k]!;
  return s;
}

/**
 * One result (`attrs.output`) of an LSTM, GRU or RNN over the whole sequence. src: X, W, R,
 * then the optional inputs `attrs.inputs` names. Throws ShapeError for a sequence length out
 * of range (a data error).
 */
export function rnn(src: readonly Tensor[], attrs: RnnAttrs, dtype: DType): Tensor {
  const [xT, wT, rT] = src as [Tensor, Tensor, Tensor];
  const optional = (name: RnnOptionalInput): ArrayLike<number> | undefined => {
    const i = attrs.inputs.indexOf(name);
    return i < 0 ? undefined : readNumbers(src[3 + i]!);
  };
  const dirs = attrs.direction === 'bidirectional' ? 2 : 1;
  const [d0, d1, input] = xT.shape as [number, number, number];
  const n: RnnDims = { seq: attrs.layout === 0 ? d0 : d1, batch: attrs.layout === 0 ? d1 : d0, input, hidden: attrs.hiddenSize, dirs };
  const { seq, batch, hidden } = n;
  const gates = RNN_GATES[attrs.cell];
  const per = RNN_ACTIVATIONS_PER_DIRECTION[attrs.cell];
  const X = readNumbers(xT), W = readNumbers(wT), R = readNumbers(rT);
  const B = optional('B'), lens = optional('sequence_lens'), h0 = optional('initial_h'), c0 = optional('initial_c'), P = optional('P');
  const at = offsets(attrs, n);
  const round = floatRounding(dtype);
  const clip = attrs.clip === undefined ? (v: number) => v : (v: number) => Math.min(Math.max(v, -attrs.clip!), attrs.clip!);

  const Y = new Float64Array(seq * dirs * batch * hidden);
  const Yh = new Float64Array(dirs * batch * hidden);
  const Yc = new Float64Array(dirs * batch * hidden);
  const pre = new Float64Array(gates * hidden);
  const rh = new Float64Array(hidden); // GRU: r ⊙ H, or H·Rhᵀ + Rbh with linear_before_reset

  for (let d = 0; d < dirs; d++) {
    const act = (k: number) => rnnActivation(attrs.activations[d * per + k]!, attrs.activationAlpha[d * per + k]!, attrs.activationBeta[d * per + k]!);
    const f = act(0);
    const g = per > 1 ? act(1) : f;
    const h = per > 2 ? act(2) : f;
    const reverse = attrs.direction === 'reverse' || d === 1;
    const wBase = d * gates * hidden * input;
    const rBase = d * gates * hidden * hidden;
    const bBase = d * 2 * gates * hidden;
    const pBase = d * 3 * hidden;
    const bias = (row: number) => (B ? B[bBase + row]! + B[bBase + gates * hidden + row]! : 0);
    const wBias = (row: number) => (B ? B[bBase + row]! : 0);
    const rBias = (row: number) => (B ? B[bBase + gates * hidden + row]! : 0);
    const peep = (k: number, j: number) => (P ? P[pBase + k * hidden + j]! : 0);

    for (let b = 0; b < batch; b++) {
      const len = lens ? lens[b]! : seq;
      if (!Number.isInteger(len) || len < 0 || len > seq) fail('sequenceLengthOutOfRange', len, b, seq);
      const s0 = at.state(d, b);
      const H = new Float64Array(hidden);
      const C = new Float64Array(hidden);
      for (let j = 0; j < hidden; j++) {
        H[j] = h0 ? h0[s0 + j]! : 0;
        C[j] = c0 ? c0[s0 + j]! : 0;
      }
      for (let step = 0; step < len; step++) {
        const t = reverse ? len - 1 - step : step;
        const xOff = at.x(t, b);
        // Gate sums without the GRU's hidden-gate recurrence (filled in below).
        const recurrentGates = attrs.cell === 'gru' ? 2 : gates;
        for (let row = 0; row < gates * hidden; row++) {
          let s = dot(X, xOff, W, wBase + row * input, input);
          if (row < recurrentGates * hidden) s += dot(H, 0, R, rBase + row * hidden, hidden) + bias(row);
          pre[row] = s;
        }
        switch (attrs.cell) {
          case 'rnn':
            for (let j = 0; j < hidden; j++) H[j] = round(f(clip(pre[j]!)));
            break;
          case 'gru': {
            const z = new Float64Array(hidden);
            for (let j = 0; j < hidden; j++) {
              z[j] = f(clip(pre[j]!));
              const r = f(clip(pre[hidden + j]!));
              rh[j] = attrs.linearBeforeReset ? r : r * H[j]!;
            }
            const hRow = 2 * hidden;
            const candidate = new Float64Array(hidden);
            for (let j = 0; j < hidden; j++) {
              const row = hRow + j;
              const recurrence = attrs.linearBeforeReset
                ? rh[j]! * (dot(H, 0, R, rBase + row * hidden, hidden) + rBias(row))
                : dot(rh, 0, R, rBase + row * hidden, hidden) + rBias(row);
              candidate[j] = g(clip(pre[row]! + recurrence + wBias(row)));
            }
            for (let j = 0; j < hidden; j++) H[j] = round((1 - z[j]!) * candidate[j]! + z[j]! * H[j]!);
            break;
          }
          case 'lstm':
            for (let j = 0; j < hidden; j++) {
              const i = f(clip(pre[j]! + peep(0, j) * C[j]!));
              const fg = attrs.inputForget ? 1 - i : f(clip(pre[2 * hidden + j]! + peep(2, j) * C[j]!));
              const c = g(clip(pre[3 * hidden + j]!));
              C[j] = round(fg * C[j]! + i * c);
              const o = f(clip(pre[hidden + j]! + peep(1, j) * C[j]!));
              H[j] = round(o * h(C[j]!));
            }
            break;
        }
        Y.set(H, at.y(t, d, b));
      }
      Yh.set(H, s0);
      Yc.set(C, s0);
    }
  }

  const stateShape = attrs.layout === 0 ? [dirs, batch, hidden] : [batch, dirs, hidden];
  switch (attrs.output) {
    case 'Y': return fromNumbers(dtype, attrs.layout === 0 ? [seq, dirs, batch, hidden] : [batch, seq, dirs, hidden], Y);
    case 'Y_h': return fromNumbers(dtype, stateShape, Yh);
    case 'Y_c': return fromNumbers(dtype, stateShape, Yc);
  }
}
