import { it, expect } from 'vitest';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { importOnnx } from '../../compiler/import/onnx/index.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../compiler/interpret/tensor.js';
import { encodeModel } from '../helpers/onnx-model.js';
import { seededRandom } from '../helpers/random.js';
import { formatDiagnostic } from '../../compiler/diagnostics/diagnostic.js';

interface Case { name: string; op: 'LSTM' | 'GRU' | 'RNN'; dir: string; attrs?: Record<string, number | number[] | string>; opt: string[]; layout?: number; lens?: number[]; strAttrs?: Record<string, string[]> }
const S = 4, Bt = 3, I = 5, H = 3;
const cases: Case[] = [
  { name: 'lstm fwd all', op: 'LSTM', dir: 'forward', opt: ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'], lens: [4, 2, 1] },
  { name: 'lstm rev', op: 'LSTM', dir: 'reverse', opt: ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'], lens: [3, 4, 1] },
  { name: 'lstm bidi clip forget', op: 'LSTM', dir: 'bidirectional', opt: ['B', '', 'initial_h', 'initial_c', 'P'], attrs: { clip: 0.7, input_forget: 1 } },
  { name: 'lstm acts', op: 'LSTM', dir: 'bidirectional', opt: ['B'], strAttrs: { activations: ['HardSigmoid', 'LeakyRelu', 'Softsign', 'Sigmoid', 'Elu', 'ScaledTanh'] }, attrs: { activation_alpha: [0.3, 0.2, 0.9, 1.5], activation_beta: [0.4, 0.8] } },
  { name: 'lstm layout1', op: 'LSTM', dir: 'bidirectional', opt: ['B', 'sequence_lens', 'initial_h', 'initial_c'], layout: 1, lens: [4, 2, 3] },
  { name: 'gru fwd', op: 'GRU', dir: 'forward', opt: ['B', 'sequence_lens', 'initial_h'], lens: [4, 3, 2] },
  { name: 'gru lbr bidi', op: 'GRU', dir: 'bidirectional', opt: ['B', '', 'initial_h'], attrs: { linear_before_reset: 1 } },
  { name: 'gru lbr rev clip', op: 'GRU', dir: 'reverse', opt: ['B', 'sequence_lens', 'initial_h'], attrs: { linear_before_reset: 1, clip: 0.5 }, lens: [2, 4, 1] },
  { name: 'gru acts', op: 'GRU', dir: 'forward', opt: ['B'], strAttrs: { activations: ['Softplus', 'Affine'] }, attrs: { activation_alpha: [0.5], activation_beta: [0.25] } },
  { name: 'rnn fwd', op: 'RNN', dir: 'forward', opt: ['B', 'sequence_lens', 'initial_h'], lens: [1, 4, 3] },
  { name: 'rnn bidi relu', op: 'RNN', dir: 'bidirectional', opt: ['B'], strAttrs: { activations: ['Relu', 'ThresholdedRelu'] }, attrs: { activation_alpha: [0.1] } },
  { name: 'rnn layout1 rev', op: 'RNN', dir: 'reverse', opt: ['B', 'sequence_lens', 'initial_h'], layout: 1, lens: [4, 1, 2] },
];

for (const c of cases) {
  it(c.name, async () => {
    const rand = seededRandom(c.name.length * 7 + 1);
    const D = c.dir === 'bidirectional' ? 2 : 1;
    const G = c.op === 'LSTM' ? 4 : c.op === 'GRU' ? 3 : 1;
    const layout = c.layout ?? 0;
    const f = (shape: number[]) => tensor('f32', shape, Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand()));
    const values: Record<string, Tensor> = {
      X: f(layout ? [Bt, S, I] : [S, Bt, I]), W: f([D, G * H, I]), R: f([D, G * H, H]), B: f([D, 2 * G * H]),
      sequence_lens: tensor('i32', [Bt], c.lens ?? [S, S, S]), initial_h: f(layout ? [Bt, D, H] : [D, Bt, H]), initial_c: f(layout ? [Bt, D, H] : [D, Bt, H]), P: f([D, 3 * H]),
    };
    const inputs = ['X', 'W', 'R', ...c.opt];
    const given = inputs.filter((n) => n !== '');
    const outs = c.op === 'LSTM' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
    const attrs: Record<string, number | number[] | string> = { hidden_size: H, direction: c.dir, ...(c.attrs ?? {}) };
    if (layout) attrs.layout = 1;
    const bytes0 = encodeModel({ opset: 14, nodes: [{ op: c.op, inputs, outputs: outs, attrs }], inputs: given.map((n) => ({ name: n, elemType: n === 'sequence_lens' ? 6 : 1, shape: values[n]!.shape })), outputs: outs.map((n) => ({ name: n, elemType: 1 })) });
    // add string list attrs
    const { onnx } = await import('../../compiler/import/onnx/proto.js');
    const m = onnx.ModelProto.decode(bytes0);
    for (const [k, v] of Object.entries(c.strAttrs ?? {})) m.graph!.node![0]!.attribute!.push({ name: k, type: 8, strings: v.map((s) => new TextEncoder().encode(s)) } as never);
    // floats attr fix: activation_alpha as FLOATS even if integer
    const bytes = onnx.ModelProto.encode(m).finish();
    const r = importOnnx(bytes, 'm.onnx');
    if (!r.graph) throw new Error(r.diagnostics.map((d) => formatDiagnostic(d)).join('\n'));
    const mine = interpret(r.graph, new Map(given.map((n) => [n, values[n]!]))).outputs;
    const session = await InferenceSession.create(bytes);
    const feeds: Record<string, OrtTensor> = {};
    for (const n of given) feeds[n] = new OrtTensor(n === 'sequence_lens' ? 'int32' : 'float32', values[n]!.data as Float32Array, values[n]!.shape as number[]);
    const res = await session.run(feeds);
    for (const o of outs) {
      const a = toNumbers(mine.get(o)!), e = Array.from(res[o]!.data as Float32Array);
      expect(mine.get(o)!.shape).toEqual(res[o]!.dims);
      const worst = Math.max(...a.map((v, i) => Math.abs(v - e[i]!)));
      console.log(c.name, o, 'max abs diff', worst);
      expect(worst).toBeLessThan(1e-5);
    }
  });
}
