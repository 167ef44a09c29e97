// The recurrent kernel against hand-computed single steps and against a reference written
// here from the ONNX equations in another shape (whole-batch steps over a time-flipped
// sequence with a validity mask, as ONNX's own reference implementation is organised), on
// seeded random data of awkward sizes; plus identities between directions and layouts.

import { describe, expect, it } from 'vitest';
import { rnn, RNN_ACTIVATIONS_PER_DIRECTION, RNN_GATES, type RnnAttrs, type RnnCell, type RnnOptionalInput } from '../../../../compiler/interpret/kernels/recurrent.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { ShapeError } from '../../../../compiler/ir/types.js';
import { expectClose } from '../../../helpers/close.js';
import { randomTensor } from '../../../helpers/random.js';

const DEFAULTS: Record<RnnCell, RnnAttrs['activations']> = { lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'] };

function attrsOf(cell: RnnCell, direction: RnnAttrs['direction'], hiddenSize: number, more: Partial<RnnAttrs> = {}): RnnAttrs {
  const dirs = direction === 'bidirectional' ? 2 : 1;
  const activations = more.activations ?? [...DEFAULTS[cell], ...(dirs === 2 ? DEFAULTS[cell] : [])];
  return {
    cell, hiddenSize, direction, activations,
    activationAlpha: activations.map(() => 0), activationBeta: activations.map(() => 0),
    clip: undefined, linearBeforeReset: false, inputForget: false, layout: 0, inputs: [], output: 'Y',
    ...more,
  };
}

type Operands = Partial<Record<'X' | 'W' | 'R' | RnnOptionalInput, Tensor>>;

function run(attrs: RnnAttrs, ops: Operands, output: RnnAttrs['output'] = 'Y'): Tensor {
  const src = [ops.X!, ops.W!, ops.R!, ...attrs.inputs.map((n) => ops[n]!)];
  return rnn(src, { ...attrs, output }, ops.X!.dtype);
}

// ---- an independent reference from the ONNX equations ----

const ACT: Record<string, (x: number, a: number, b: number) => number> = {
  Sigmoid: (x) => 1 / (1 + Math.exp(-x)),
  Tanh: (x) => Math.tanh(x),
  Relu: (x) => Math.max(0, x),
  HardSigmoid: (x, a, b) => Math.min(1, Math.max(0, a * x + b)),
  LeakyRelu: (x, a) => (x >= 0 ? x : a * x),
  Softsign: (x) => x / (1 + Math.abs(x)),
  Elu: (x, a) => (x >= 0 ? x : a * (Math.exp(x) - 1)),
};

/** [rows][cols] block of a flat tensor starting at `base`. */
function matrix(t: Tensor, base: number, rows: number, cols: number): number[][] {
  const v = toNumbers(t);
  return Array.from({ length: rows }, (_, r) => v.slice(base + r * cols, base + (r + 1) * cols));
}

const matVec = (m: number[][], v: number[]): number[] => m.map((row) => row.reduce((s, w, k) => s + w * v[k]!, 0));
const add = (...vs: number[][]): number[] => vs[0]!.map((_, i) => vs.reduce((s, v) => s + v[i]!, 0));
const mul = (a: number[], b: number[]): number[] => a.map((x, i) => x * b[i]!);

/** Y [S][D][B][H], Y_h and Y_c [D][B][H], layout 0. */
function reference(attrs: RnnAttrs, given: Operands): { Y: number[][][][]; Yh: number[][][]; Yc: number[][][] } {
  // only the optional inputs the op names take part
  const ops: Operands = { X: given.X, W: given.W, R: given.R, ...Object.fromEntries(attrs.inputs.map((n) => [n, given[n]])) };
  const [S, Bt, I] = ops.X!.shape as [number, number, number];
  const H = attrs.hiddenSize, G = RNN_GATES[attrs.cell], D = attrs.direction === 'bidirectional' ? 2 : 1;
  const per = RNN_ACTIVATIONS_PER_DIRECTION[attrs.cell];
  const x = toNumbers(ops.X!);
  const X = Array.from({ length: S }, (_, t) => Array.from({ length: Bt }, (_, b) => x.slice((t * Bt + b) * I, (t * Bt + b + 1) * I)));
  const lens = ops.sequence_lens ? toNumbers(ops.sequence_lens) : new Array<number>(Bt).fill(S);
  const mask = Array.from({ length: S }, (_, t) => lens.map((l) => t < l));
  const clip = (v: number): number => (attrs.clip === undefined ? v : Math.max(-attrs.clip, Math.min(attrs.clip, v)));
  const Y = Array.from({ length: S }, () => Array.from({ length: D }, () => Array.from({ length: Bt }, () => new Array<number>(H).fill(0))));
  const Yh: number[][][] = [], Yc: number[][][] = [];
  for (let d = 0; d < D; d++) {
    // clip bounds the gate inputs; LSTM's cell state goes to h unclipped (as in onnxruntime)
    const fn = (k: number, clipped = true) => (v: number) =>
      ACT[attrs.activations[d * per + k]!]!(clipped ? clip(v) : v, attrs.activationAlpha[d * per + k]!, attrs.activationBeta[d * per + k]!);
    const f = fn(0), g = fn(1), h = fn(2, false);
    const W = Array.from({ length: G }, (_, k) => matrix(ops.W!, (d * G + k) * H * I, H, I));
    const R = Array.from({ length: G }, (_, k) => matrix(ops.R!, (d * G + k) * H * H, H, H));
    const bias = ops.B ? toNumbers(ops.B).slice(d * 2 * G * H, (d + 1) * 2 * G * H) : new Array<number>(2 * G * H).fill(0);
    const Wb = (k: number) => bias.slice(k * H, (k + 1) * H), Rb = (k: number) => bias.slice((G + k) * H, (G + k + 1) * H);
    const p = ops.P ? toNumbers(ops.P).slice(d * 3 * H, (d + 1) * 3 * H) : new Array<number>(3 * H).fill(0);
    const [Pi, Po, Pf] = [p.slice(0, H), p.slice(H, 2 * H), p.slice(2 * H)];
    const state = (t: Tensor | undefined) => Array.from({ length: Bt }, (_, b) => (t ? toNumbers(t).slice((d * Bt + b) * H, (d * Bt + b + 1) * H) : new Array<number>(H).fill(0)));
    let Hs = state(ops.initial_h), Cs = state(ops.initial_c);
    const reverse = d === 1 || attrs.direction === 'reverse';
    const order = Array.from({ length: S }, (_, k) => (reverse ? S - 1 - k : k));
    for (const t of order) {
      const newH: number[][] = [], newC: number[][] = [];
      for (let b = 0; b < Bt; b++) {
        const xt = X[t]![b]!, ht = Hs[b]!, ct = Cs[b]!;
        const lin = (k: number) => add(matVec(W[k]!, xt), matVec(R[k]!, ht), Wb(k), Rb(k));
        let Hn: number[], Cn = ct;
        if (attrs.cell === 'rnn') Hn = lin(0).map(f);
        else if (attrs.cell === 'gru') {
          const z = lin(0).map(f), r = lin(1).map(f);
          const hh = attrs.linearBeforeReset
            ? add(matVec(W[2]!, xt), mul(r, add(matVec(R[2]!, ht), Rb(2))), Wb(2)).map(g)
            : add(matVec(W[2]!, xt), matVec(R[2]!, mul(r, ht)), Rb(2), Wb(2)).map(g);
          Hn = hh.map((v, j) => (1 - z[j]!) * v + z[j]! * ht[j]!);
        } else {
          const i = add(lin(0), mul(Pi, ct)).map(f);
          const fg = attrs.inputForget ? i.map((v) => 1 - v) : add(lin(2), mul(Pf, ct)).map(f);
          Cn = add(mul(fg, ct), mul(i, lin(3).map(g)));
          const o = add(lin(1), mul(Po, Cn)).map(f);
          Hn = mul(o, Cn.map(h));
        }
        const valid = mask[t]![b]!;
        newH.push(valid ? Hn : ht);
        newC.push(valid ? Cn : ct);
        if (valid) Y[t]![d]![b] = Hn;
      }
      Hs = newH;
      Cs = newC;
    }
    Yh.push(Hs);
    Yc.push(Cs);
  }
  return { Y, Yh, Yc };
}

function randomOperands(cell: RnnCell, dirs: number, S: number, Bt: number, I: number, H: number, seed: number, lens?: number[]): Operands {
  const G = RNN_GATES[cell];
  return {
    X: randomTensor('f32', [S, Bt, I], seed),
    W: randomTensor('f32', [dirs, G * H, I], seed + 1),
    R: randomTensor('f32', [dirs, G * H, H], seed + 2),
    B: randomTensor('f32', [dirs, 2 * G * H], seed + 3),
    sequence_lens: tensor('i32', [Bt], lens ?? new Array(Bt).fill(S)),
    initial_h: randomTensor('f32', [dirs, Bt, H], seed + 4),
    initial_c: randomTensor('f32', [dirs, Bt, H], seed + 5),
    P: randomTensor('f32', [dirs, 3 * H], seed + 6),
  };
}

const ALL_INPUTS: Record<RnnCell, RnnOptionalInput[]> = {
  lstm: ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'],
  gru: ['B', 'sequence_lens', 'initial_h'],
  rnn: ['B', 'sequence_lens', 'initial_h'],
};

describe('rnn by hand, one step', () => {
  it('RNN: tanh(0.5·1 + 0.25·2 + 0.1 + 0.2)', () => {
    const ops: Operands = {
      X: tensor('f32', [1, 1, 1], [1]), W: tensor('f32', [1, 1, 1], [0.5]), R: tensor('f32', [1, 1, 1], [0.25]),
      B: tensor('f32', [1, 2], [0.1, 0.2]), initial_h: tensor('f32', [1, 1, 1], [2]),
    };
    const y = run(attrsOf('rnn', 'forward', 1, { inputs: ['B', 'initial_h'] }), ops);
    expect(y.shape).toEqual([1, 1, 1, 1]);
    expect(toNumbers(y)).toEqual([Math.fround(0.8617231593133063)]);
  });

  it('LSTM: gates i o f c from W = [0.5, -0.5, 1, 2], C0 = 1', () => {
    // i = σ(0.5) = 0.62245933, o = σ(-0.5) = 0.37754067, f = σ(1) = 0.73105858, c = tanh(2) = 0.96402758
    // C = f·1 + i·c = 1.33112654, H = o·tanh(C) = 0.32828082
    const ops: Operands = {
      X: tensor('f32', [1, 1, 1], [1]), W: tensor('f32', [1, 4, 1], [0.5, -0.5, 1, 2]), R: tensor('f32', [1, 4, 1], [0, 0, 0, 0]),
      initial_c: tensor('f32', [1, 1, 1], [1]),
    };
    const attrs = attrsOf('lstm', 'forward', 1, { inputs: ['initial_c'] });
    expectClose(run(attrs, ops, 'Y_c'), [1.3311265413841402], 1e-7);
    expectClose(run(attrs, ops, 'Y_h'), [0.3282808249652551], 1e-7);
    // A peephole on the input gate adds Pi·C0 = 1 to its input: i = σ(1.5).
    const peep = run({ ...attrs, inputs: ['initial_c', 'P'] }, { ...ops, P: tensor('f32', [1, 3], [1, 0, 0]) }, 'Y_c');
    expectClose(peep, [0.7310585786300049 + (1 / (1 + Math.exp(-1.5))) * 0.9640275800758169], 1e-7);
  });

  it('GRU: z r h from W = [0.5, -1, 2], Rh = 0.5, Rbh = 0.3, H0 = 1, with and without linear_before_reset', () => {
    // z = σ(0.5) = 0.62245933, r = σ(-1) = 0.26894142
    // default: h = tanh(2 + (r·1)·0.5 + 0.3) = 0.98475413;  linear: h = tanh(2 + r·(1·0.5 + 0.3)) = 0.97645871
    // H = (1 - z)·h + z·1
    const ops: Operands = {
      X: tensor('f32', [1, 1, 1], [1]), W: tensor('f32', [1, 3, 1], [0.5, -1, 2]), R: tensor('f32', [1, 3, 1], [0, 0, 0.5]),
      B: tensor('f32', [1, 6], [0, 0, 0, 0, 0, 0.3]), initial_h: tensor('f32', [1, 1, 1], [1]),
    };
    const attrs = attrsOf('gru', 'forward', 1, { inputs: ['B', 'initial_h'] });
    expectClose(run(attrs, ops, 'Y_h'), [0.9942440625963737], 1e-7);
    expectClose(run({ ...attrs, linearBeforeReset: true }, ops, 'Y_h'), [0.9911122072346545], 1e-7);
  });

  it('clips activation inputs and applies alpha/beta activations', () => {
    const ops: Operands = { X: tensor('f32', [1, 1, 1], [10]), W: tensor('f32', [1, 1, 1], [1]), R: tensor('f32', [1, 1, 1], [0]) };
    expect(toNumbers(run(attrsOf('rnn', 'forward', 1, { clip: 0.5 }), ops))).toEqual([Math.fround(Math.tanh(0.5))]);
    const affine = attrsOf('rnn', 'forward', 1, { activations: ['Affine'], activationAlpha: [0.5], activationBeta: [-1] });
    expect(toNumbers(run(affine, ops))).toEqual([4]);
    const scaled = attrsOf('rnn', 'forward', 1, { activations: ['ScaledTanh'], activationAlpha: [2], activationBeta: [0.01] });
    expect(toNumbers(run(scaled, ops))).toEqual([Math.fround(2 * Math.tanh(0.1))]);
    const thresholded = attrsOf('rnn', 'forward', 1, { activations: ['ThresholdedRelu'], activationAlpha: [11], activationBeta: [0] });
    expect(toNumbers(run(thresholded, ops))).toEqual([0]);
    const softplus = attrsOf('rnn', 'forward', 1, { activations: ['Softplus'] });
    expect(toNumbers(run(softplus, ops))).toEqual([Math.fround(Math.log(1 + Math.exp(10)))]);
  });
});

describe('rnn against the reference on random data', () => {
  const sizes: [number, number, number, number][] = [[1, 1, 1, 1], [7, 3, 129, 7], [129, 1, 7, 1]];
  const variants: { name: string; more: (cell: RnnCell) => Partial<RnnAttrs> }[] = [
    { name: 'plain', more: () => ({}) },
    { name: 'all inputs, clip', more: (cell) => ({ inputs: ALL_INPUTS[cell], clip: 0.9 }) },
    { name: 'input_forget / linear_before_reset', more: (cell) => ({ inputs: ['B', 'initial_h'], inputForget: cell === 'lstm', linearBeforeReset: cell === 'gru' }) },
  ];
  for (const cell of ['lstm', 'gru', 'rnn'] as const) {
    for (const direction of ['forward', 'reverse', 'bidirectional'] as const) {
      for (const [S, Bt, I, H] of sizes) {
        for (const v of variants) {
          it(`${cell} ${direction} [${S}, ${Bt}, ${I}] hidden ${H}, ${v.name}`, () => {
            const dirs = direction === 'bidirectional' ? 2 : 1;
            const lens = Array.from({ length: Bt }, (_, b) => (b === 0 ? S : Math.max(0, S - 2 * b - 1)));
            const ops = randomOperands(cell, dirs, S, Bt, I, H, S * 31 + I, lens);
            const attrs = attrsOf(cell, direction, H, v.more(cell));
            const want = reference(attrs, ops);
            expectClose(run(attrs, ops, 'Y'), want.Y.flat(3), 2e-5, 1e-5);
            expectClose(run(attrs, ops, 'Y_h'), want.Yh.flat(2), 2e-5, 1e-5);
            if (cell === 'lstm') expectClose(run(attrs, ops, 'Y_c'), want.Yc.flat(2), 2e-5, 1e-5);
          });
        }
      }
    }
  }

  it('lstm with other activations (HardSigmoid, LeakyRelu, Softsign / Relu, Elu, Tanh)', () => {
    const ops = randomOperands('lstm', 2, 7, 3, 7, 7, 5);
    const attrs = attrsOf('lstm', 'bidirectional', 7, {
      inputs: ['B', 'initial_h', 'initial_c'],
      activations: ['HardSigmoid', 'LeakyRelu', 'Softsign', 'Relu', 'Elu', 'Tanh'],
      activationAlpha: [0.3, 0.05, 0, 0, 0.7, 0], activationBeta: [0.4, 0, 0, 0, 0, 0],
    });
    const want = reference(attrs, ops);
    expectClose(run(attrs, ops, 'Y'), want.Y.flat(3), 2e-5, 1e-5);
    expectClose(run(attrs, ops, 'Y_c'), want.Yc.flat(2), 2e-5, 1e-5);
  });
});

describe('rnn identities', () => {
  const cells = ['lstm', 'gru', 'rnn'] as const;

  /** [S, B, ...] ↔ [B, S, ...] for a rank-3 or rank-4 tensor. */
  function swap01(t: Tensor): Tensor {
    const [a, b] = t.shape as [number, number];
    const inner = t.shape.slice(2).reduce((x, y) => x * y, 1);
    const v = toNumbers(t);
    const out: number[] = [];
    for (let j = 0; j < b; j++) for (let i = 0; i < a; i++) out.push(...v.slice((i * b + j) * inner, (i * b + j + 1) * inner));
    return tensor(t.dtype, [b, a, ...t.shape.slice(2)], out);
  }

  for (const cell of cells) {
    it(`${cell}: layout 1 is layout 0 with batch first`, () => {
      const ops = randomOperands(cell, 2, 7, 3, 5, 4, 11, [7, 3, 0]);
      const attrs = attrsOf(cell, 'bidirectional', 4, { inputs: ALL_INPUTS[cell].filter((n) => n !== 'P') });
      const batchFirst: Operands = { ...ops, X: swap01(ops.X!), initial_h: swap01(ops.initial_h!), initial_c: swap01(ops.initial_c!) };
      const layout1 = { ...attrs, layout: 1 as const };
      // Y [S, D, B, H] → [B, S, D, H]: move axis 2 to the front.
      const y0 = run(attrs, ops, 'Y');
      const [S, D, Bt, H] = y0.shape as [number, number, number, number];
      const v = toNumbers(y0);
      const moved: number[] = [];
      for (let b = 0; b < Bt; b++) for (let s = 0; s < S; s++) for (let d = 0; d < D; d++) moved.push(...v.slice(((s * D + d) * Bt + b) * H, ((s * D + d) * Bt + b + 1) * H));
      expectClose(run(layout1, batchFirst, 'Y'), tensor('f32', [Bt, S, D, H], moved), 0);
      expectClose(run(layout1, batchFirst, 'Y_h'), swap01(run(attrs, ops, 'Y_h')), 0);
    });

    it(`${cell}: the halves of a bidirectional layer are the forward and reverse layers`, () => {
      const both = randomOperands(cell, 2, 7, 2, 3, 5, 21, [7, 4]);
      const half = (d: number): Operands => {
        const pick = (t: Tensor) => tensor(t.dtype, [1, ...t.shape.slice(1)], toNumbers(t).slice(d * (t.data.length / 2), (d + 1) * (t.data.length / 2)));
        return { ...both, W: pick(both.W!), R: pick(both.R!), B: pick(both.B!), initial_h: pick(both.initial_h!), initial_c: pick(both.initial_c!), P: pick(both.P!) };
      };
      const inputs = ALL_INPUTS[cell];
      const y = toNumbers(run(attrsOf(cell, 'bidirectional', 5, { inputs }), both, 'Y'));
      const fwd = toNumbers(run(attrsOf(cell, 'forward', 5, { inputs }), half(0), 'Y'));
      const rev = toNumbers(run(attrsOf(cell, 'reverse', 5, { inputs }), half(1), 'Y'));
      const block = 2 * 5; // batch · hidden per step and direction
      for (let t = 0; t < 7; t++) {
        expect(y.slice((2 * t) * block, (2 * t + 1) * block)).toEqual(fwd.slice(t * block, (t + 1) * block));
        expect(y.slice((2 * t + 1) * block, (2 * t + 2) * block)).toEqual(rev.slice(t * block, (t + 1) * block));
      }
    });

    it(`${cell}: reverse is forward on the time-flipped sequence; full sequence_lens change nothing; Y_h is Y's last step`, () => {
      const ops = randomOperands(cell, 1, 7, 3, 4, 3, 31);
      const flip = (t: Tensor, steps: number) => {
        const per = t.data.length / steps;
        const v = toNumbers(t);
        return tensor(t.dtype, t.shape, Array.from({ length: steps }, (_, s) => v.slice((steps - 1 - s) * per, (steps - s) * per)).flat());
      };
      const inputs: RnnOptionalInput[] = cell === 'lstm' ? ['B', 'initial_h', 'initial_c', 'P'] : ['B', 'initial_h'];
      const fwd = run(attrsOf(cell, 'forward', 3, { inputs }), { ...ops, X: flip(ops.X!, 7) }, 'Y');
      expectClose(run(attrsOf(cell, 'reverse', 3, { inputs }), ops, 'Y'), flip(fwd, 7), 0);
      const withLens = run(attrsOf(cell, 'forward', 3, { inputs: ALL_INPUTS[cell] }), ops, 'Y');
      expectClose(withLens, run(attrsOf(cell, 'forward', 3, { inputs }), ops, 'Y'), 0);
      const last = toNumbers(withLens).slice(6 * 3 * 3);
      expect(toNumbers(run(attrsOf(cell, 'forward', 3, { inputs: ALL_INPUTS[cell] }), ops, 'Y_h'))).toEqual(last);
    });
  }

  it('keeps the initial state for a sequence length of 0 and zeros Y past each length', () => {
    const ops = randomOperands('gru', 1, 5, 2, 3, 2, 41, [0, 2]);
    const attrs = attrsOf('gru', 'forward', 2, { inputs: ['B', 'sequence_lens', 'initial_h'] });
    const yh = toNumbers(run(attrs, ops, 'Y_h'));
    expect(yh.slice(0, 2)).toEqual(toNumbers(ops.initial_h!).slice(0, 2));
    const y = toNumbers(run(attrs, ops, 'Y'));
    for (let t = 0; t < 5; t++) {
      expect(y.slice(t * 4, t * 4 + 2)).toEqual([0, 0]);
      if (t >= 2) expect(y.slice(t * 4 + 2, t * 4 + 4)).toEqual([0, 0]);
    }
  });

  it('refuses a sequence length past the sequence with a ShapeError', () => {
    const ops = randomOperands('rnn', 1, 3, 2, 1, 1, 51, [3, 4]);
    const attrs = attrsOf('rnn', 'forward', 1, { inputs: ['sequence_lens'] });
    expect(() => run(attrs, ops)).toThrow(ShapeError);
    expect(() => run(attrs, ops)).toThrow(/sequence length 4 of batch entry 1/);
  });
});
