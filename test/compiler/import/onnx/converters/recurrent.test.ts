// The LSTM, GRU and RNN converters: one IR `rnn` node per requested output, ONNX's defaults
// resolved (activations, alpha/beta taken in order by the functions that use them, hidden
// size), and user errors reported at the node. The recurrence itself is tested with the kernel.

import { describe, expect, it } from 'vitest';
import { importOnnx } from '../../../../../compiler/import/onnx/index.js';
import { onnx } from '../../../../../compiler/import/onnx/proto.js';
import type { Graph } from '../../../../../compiler/ir/graph.js';
import type { NodeOf } from '../../../../../compiler/ir/node.js';
import { interpret } from '../../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../../compiler/interpret/tensor.js';
import { modelProto, type NodeSpec } from '../../../../helpers/onnx-model.js';
import { randomTensor } from '../../../../helpers/random.js';

interface Layer {
  readonly op: 'LSTM' | 'GRU' | 'RNN';
  /** Node inputs in order; '' leaves an optional input out. */
  readonly inputs: readonly (readonly [string, Tensor] | '')[];
  readonly outputs?: readonly string[];
  readonly attrs?: NodeSpec['attrs'];
  readonly strings?: Readonly<Record<string, readonly string[]>>;
  readonly floats?: Readonly<Record<string, readonly number[]>>;
  readonly opset?: number;
}

function load(c: Layer) {
  const given = c.inputs.filter((i): i is readonly [string, Tensor] => i !== '');
  const outputs = c.outputs ?? ['Y'];
  const proto = modelProto({
    opset: c.opset ?? 22,
    nodes: [{ op: c.op, name: 'n', inputs: c.inputs.map((i) => (i === '' ? '' : i[0])), outputs, attrs: c.attrs }],
    inputs: given.map(([name, t]) => ({ name, elemType: t.dtype === 'i32' ? 6 : 1, shape: t.shape })),
    outputs: outputs.filter((o) => o !== '').map((name) => ({ name, elemType: 0 })),
  });
  const T = onnx.AttributeProto.AttributeType;
  const node = proto.graph!.node![0]!;
  for (const [name, v] of Object.entries(c.strings ?? {})) node.attribute!.push({ name, type: T.STRINGS, strings: v.map((s) => new TextEncoder().encode(s)) });
  for (const [name, v] of Object.entries(c.floats ?? {})) node.attribute!.push({ name, type: T.FLOATS, floats: [...v] });
  return { imported: importOnnx(onnx.ModelProto.encode(proto).finish(), 'm.onnx'), feeds: new Map(given.map(([n, t]) => [n, t])) };
}

function graphOf(c: Layer): Graph {
  const { imported } = load(c);
  expect(imported.diagnostics.map((d) => d.message)).toEqual([]);
  return imported.graph!;
}

function rnnNode(g: Graph, output: string): NodeOf<'rnn'> {
  const n = g.outputs.find((o) => o.name === output)!.node;
  expect(n.op).toBe('rnn');
  return n as NodeOf<'rnn'>;
}

function run(c: Layer): Map<string, Tensor> {
  const { imported, feeds } = load(c);
  expect(imported.diagnostics.map((d) => d.message)).toEqual([]);
  return interpret(imported.graph!, feeds).outputs;
}

function refusal(c: Layer): { code: number; message: string } {
  const { imported } = load(c);
  expect(imported.graph).toBeUndefined();
  const d = imported.diagnostics.find((x) => x.severity === 'error')!;
  return { code: d.code, message: d.message };
}

/** X [S, B, I], W and R for `gates` gates of hidden size H, `dirs` directions. */
function weights(S: number, B: number, I: number, H: number, gates: number, dirs: number): [string, Tensor][] {
  return [['X', randomTensor('f32', [S, B, I], 1)], ['W', randomTensor('f32', [dirs, gates * H, I], 2)], ['R', randomTensor('f32', [dirs, gates * H, H], 3)]];
}

describe('LSTM', () => {
  it('makes one rnn node per requested output with ONNX defaults', () => {
    const g = graphOf({ op: 'LSTM', inputs: weights(3, 2, 4, 5, 4, 1), outputs: ['', 'Y_h', 'Y_c'], attrs: { hidden_size: 5 } });
    expect(g.outputs.map((o) => o.name)).toEqual(['Y_h', 'Y_c']);
    const h = rnnNode(g, 'Y_h');
    expect(h.attrs).toMatchObject({ cell: 'lstm', hiddenSize: 5, direction: 'forward', activations: ['Sigmoid', 'Tanh', 'Tanh'], clip: undefined, inputForget: false, layout: 0, inputs: [], output: 'Y_h' });
    expect(h.shape.map((d) => d.key)).toEqual(['1', '2', '5']);
    const c = rnnNode(g, 'Y_c');
    expect(c.src).toEqual(h.src); // the results share their operands
  });

  it('passes optional inputs by name, skipping the ones left out, and reads hidden_size from R', () => {
    const [X, W, R] = weights(3, 2, 4, 5, 4, 2);
    const h0 = randomTensor('f32', [2, 2, 5], 4), P = randomTensor('f32', [2, 15], 5);
    const g = graphOf({ op: 'LSTM', inputs: [X!, W!, R!, '', '', ['h0', h0], '', ['P', P]], outputs: ['Y'], attrs: { direction: 'bidirectional', input_forget: 1 } });
    const y = rnnNode(g, 'Y');
    expect(y.attrs).toMatchObject({ hiddenSize: 5, inputs: ['initial_h', 'P'], inputForget: true, activations: ['Sigmoid', 'Tanh', 'Tanh', 'Sigmoid', 'Tanh', 'Tanh'] });
    expect(y.shape.map((d) => d.key)).toEqual(['3', '2', '2', '5']);
  });

  it('gives alpha and beta to the activations that take them, in order, with defaults after', () => {
    const g = graphOf({
      op: 'LSTM', inputs: weights(2, 1, 3, 2, 4, 2), attrs: { hidden_size: 2, direction: 'bidirectional' },
      strings: { activations: ['hardsigmoid', 'Tanh', 'LeakyRelu', 'Sigmoid', 'Affine', 'Elu'] },
      floats: { activation_alpha: [0.3, 0.7, 2], activation_beta: [0.4] },
    });
    const a = rnnNode(g, 'Y').attrs;
    expect(a.activations).toEqual(['HardSigmoid', 'Tanh', 'LeakyRelu', 'Sigmoid', 'Affine', 'Elu']);
    expect(a.activationAlpha.map(Math.fround)).toEqual([0.3, 0, 0.7, 0, 2, 1].map(Math.fround));
    expect(a.activationBeta).toEqual([Math.fround(0.4), 0, 0, 0, 0, 0]);
  });

  it('uses one direction\'s activations for both directions of a bidirectional layer', () => {
    const g = graphOf({ op: 'GRU', inputs: weights(2, 1, 3, 2, 3, 2), attrs: { hidden_size: 2, direction: 'bidirectional' }, strings: { activations: ['Relu', 'Softsign'] } });
    expect(rnnNode(g, 'Y').attrs.activations).toEqual(['Relu', 'Softsign', 'Relu', 'Softsign']);
  });

  it('refuses bad attributes and inputs at the node', () => {
    const base: Layer = { op: 'LSTM', inputs: weights(2, 1, 3, 2, 4, 1), attrs: { hidden_size: 2 } };
    expect(refusal({ ...base, attrs: { hidden_size: 2, direction: 'sideways' } }).code).toBe(3004);
    const unknown = refusal({ ...base, strings: { activations: ['Sigmoid', 'Tanh', 'Gelu'] } });
    expect(unknown.code).toBe(3016);
    expect(unknown.message).toContain("'Gelu'");
    expect(refusal({ ...base, strings: { activations: ['Sigmoid', 'Tanh'] } }).code).toBe(3004);
    expect(refusal({ ...base, attrs: { hidden_size: 3 } }).message).toContain('rnn W must have shape');
    expect(refusal({ ...base, attrs: { hidden_size: 2, layout: 2 } }).code).toBe(3004);
  });
});

describe('GRU and RNN', () => {
  it('GRU carries linear_before_reset; RNN computes a hand-checked step with Affine', () => {
    const g = graphOf({ op: 'GRU', inputs: weights(2, 1, 3, 2, 3, 1), attrs: { hidden_size: 2, linear_before_reset: 1 }, outputs: ['Y', 'Y_h'] });
    expect(rnnNode(g, 'Y_h').attrs).toMatchObject({ cell: 'gru', linearBeforeReset: true, activations: ['Sigmoid', 'Tanh'] });
    // H = 2 · (0.5 · 1 + 0.25 · 3) + 1 = 3.5 (B left out, initial_h = 3)
    const outs = run({
      op: 'RNN', inputs: [['X', tensor('f32', [1, 1, 1], [1])], ['W', tensor('f32', [1, 1, 1], [0.5])], ['R', tensor('f32', [1, 1, 1], [0.25])], '', '', ['h0', tensor('f32', [1, 1, 1], [3])]],
      outputs: ['Y', 'Y_h'], attrs: { hidden_size: 1 }, strings: { activations: ['Affine'] }, floats: { activation_alpha: [2], activation_beta: [1] },
    });
    expect(toNumbers(outs.get('Y')!)).toEqual([3.5]);
    expect(toNumbers(outs.get('Y_h')!)).toEqual([3.5]);
  });

  it('layout 1 (opset 14) takes batch-first X and gives batch-first results', () => {
    const X = randomTensor('f32', [2, 3, 4], 7); // [batch, seq, input]
    const outs = run({ op: 'RNN', opset: 14, inputs: [['X', X], ['W', randomTensor('f32', [1, 5, 4], 8)], ['R', randomTensor('f32', [1, 5, 5], 9)]], outputs: ['Y', 'Y_h'], attrs: { hidden_size: 5, layout: 1 } });
    expect(outs.get('Y')!.shape).toEqual([2, 3, 1, 5]);
    expect(outs.get('Y_h')!.shape).toEqual([2, 1, 5]);
    expect(toNumbers(outs.get('Y_h')!).slice(0, 5)).toEqual(toNumbers(outs.get('Y')!).slice(10, 15)); // batch 0, last step
  });

  it('refuses LSTM-only inputs and a third output on a GRU', () => {
    expect(refusal({ op: 'GRU', inputs: weights(2, 1, 3, 2, 3, 1), attrs: { hidden_size: 2 }, outputs: ['Y', 'Y_h', 'Y_c'] }).code).toBe(3015);
  });
});
