// The recurrent layers (LSTM, GRU, RNN: one `rnn` node per result) lowered to a sequential
// kernel, against the Graph IR interpreter: on the Kernel IR interpreter for every cell,
// direction, layout, optional input and activation the interpreter supports, then through the
// wasm target, where a sequence length out of range is refused like the interpreter does.

import { afterAll, describe, expect, it } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { GraphBuilder } from '../../../compiler/ir/builder.js';
import { constDim, type Dim } from '../../../compiler/ir/dim.js';
import type { OpAttrs } from '../../../compiler/ir/node.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { RNN_GATES } from '../../../compiler/interpret/kernels/recurrent.js';
import { tensor, toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { DataError, loadModel, type Model } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';
import { run } from '../../../index.js';
import { expectLoweringMatches, relativeL2 } from './harness.js';

type Attrs = OpAttrs['rnn'];
type Cell = Attrs['cell'];
const DEFAULTS: Record<Cell, Attrs['activations']> = { lstm: ['Sigmoid', 'Tanh', 'Tanh'], gru: ['Sigmoid', 'Tanh'], rnn: ['Tanh'] };
const c = (n: number): Dim => constDim(n);

interface Case {
  readonly name: string;
  readonly cell: Cell;
  readonly direction: Attrs['direction'];
  readonly more?: Partial<Attrs>;
}

function attrsOf(k: Case, output: Attrs['output']): Attrs {
  const dirs = k.direction === 'bidirectional' ? 2 : 1;
  const activations = k.more?.activations ?? [...DEFAULTS[k.cell], ...(dirs === 2 ? DEFAULTS[k.cell] : [])];
  return {
    cell: k.cell, hiddenSize: 3, direction: k.direction, activations,
    activationAlpha: activations.map(() => 0.7), activationBeta: activations.map(() => 0.2),
    clip: undefined, linearBeforeReset: false, inputForget: false, layout: 0, inputs: [], output,
    ...k.more,
  };
}

/** X is [N, B, 4] (layout 1: [B, N, 4]); every result the cell has is an output. */
function graphOf(k: Case) {
  const b = new GraphBuilder('R');
  const n = b.declareDim('N');
  const batch = b.declareDim('B');
  const a = attrsOf(k, 'Y');
  const dirs = a.direction === 'bidirectional' ? 2 : 1;
  const H = a.hiddenSize, G = RNN_GATES[a.cell] * H, I = 4;
  const state = a.layout === 0 ? [c(dirs), batch, c(H)] : [batch, c(dirs), c(H)];
  const x = b.input('X', 'f32', a.layout === 0 ? [n, batch, c(I)] : [batch, n, c(I)]);
  // Scaled so the gates stay off their flat tails.
  const w = b.op('mul', [b.input('W', 'f32', [c(dirs), c(G), c(I)]), b.scalar(0.6, 'f32')], {});
  const r = b.input('R', 'f32', [c(dirs), c(G), c(H)]);
  const shapes = { B: [c(dirs), c(2 * G)], sequence_lens: [batch], initial_h: state, initial_c: state, P: [c(dirs), c(3 * H)] };
  const optional = a.inputs.map((name) => b.input(name, name === 'sequence_lens' ? 'i32' : 'f32', shapes[name]));
  const outputs: Attrs['output'][] = a.cell === 'lstm' ? ['Y', 'Y_h', 'Y_c'] : ['Y', 'Y_h'];
  for (const o of outputs) b.output(o, b.op('rnn', [x, w, r, ...optional], attrsOf(k, o)));
  const { graph, diagnostics } = b.finish();
  if (!graph) throw new Error(diagnostics.map((d) => d.message).join('\n'));
  return graph;
}

/** Valid lengths for every batch entry: 0, the full sequence, and between. */
function lengths(batch: number, seq: number): Tensor {
  return tensor('i32', [batch], Array.from({ length: batch }, (_, i) => (i === 0 ? seq : (i * 5) % (seq + 1))));
}

const CASES: Case[] = [
  { name: 'RNN forward', cell: 'rnn', direction: 'forward' },
  { name: 'RNN reverse with B, lengths, initial_h and clip', cell: 'rnn', direction: 'reverse', more: { inputs: ['B', 'sequence_lens', 'initial_h'], clip: 0.8 } },
  { name: 'RNN bidirectional, layout 1, other activations', cell: 'rnn', direction: 'bidirectional', more: { layout: 1, activations: ['LeakyRelu', 'Softsign'], inputs: ['B'] } },
  { name: 'GRU forward', cell: 'gru', direction: 'forward', more: { inputs: ['B'] } },
  { name: 'GRU linear_before_reset, bidirectional, lengths', cell: 'gru', direction: 'bidirectional', more: { linearBeforeReset: true, inputs: ['B', 'sequence_lens', 'initial_h'] } },
  { name: 'GRU reverse, layout 1, HardSigmoid and Elu', cell: 'gru', direction: 'reverse', more: { layout: 1, activations: ['HardSigmoid', 'Elu'] } },
  { name: 'LSTM forward with every input', cell: 'lstm', direction: 'forward', more: { inputs: ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'] } },
  { name: 'LSTM bidirectional, layout 1, clip, input_forget', cell: 'lstm', direction: 'bidirectional', more: { layout: 1, clip: 1.5, inputForget: true, inputs: ['B', 'P'] } },
  {
    name: 'LSTM reverse, other activations', cell: 'lstm', direction: 'reverse',
    more: { activations: ['Sigmoid', 'Softplus', 'ScaledTanh'], inputs: ['sequence_lens', 'initial_c'] },
  },
  { name: 'LSTM Affine, ThresholdedRelu, Relu', cell: 'lstm', direction: 'forward', more: { activations: ['Affine', 'ThresholdedRelu', 'Relu'] } },
];

const SIZES: [number, number][] = [[1, 1], [7, 3], [5, 2]];

describe('rnn lowered to a sequential kernel matches the interpreter', () => {
  for (const k of CASES) {
    it(k.name, () => {
      const g = graphOf(k);
      for (const [seq, batch] of SIZES) {
        const given: Record<string, Tensor> = k.more?.inputs?.includes('sequence_lens') ? { sequence_lens: lengths(batch, seq) } : {};
        expectLoweringMatches(g, { N: seq, B: batch }, seq * 10 + batch, given);
      }
    });
  }
});

describe('rnn on the wasm target', () => {
  const models: Model[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  const inputsFor = (g: ReturnType<typeof graphOf>, seq: number, batch: number, seed: number, lens?: Tensor): Map<string, Tensor> => {
    const env = new Map([['N', seq], ['B', batch]]);
    const out = new Map<string, Tensor>();
    g.inputs.forEach((i, j) => out.set(i.attrs.name, i.attrs.name === 'sequence_lens'
      ? (lens ?? lengths(batch, seq))
      : randomTensor(i.dtype, i.shape.map((d) => (d.key in Object.fromEntries(env) ? env.get(d.key)! : Number(d.key))), seed + j)));
    return out;
  };

  it('LSTM, GRU and RNN with lengths run in the runtime as on the interpreter, on two threads', async () => {
    for (const k of [CASES[1]!, CASES[4]!, CASES[6]!]) {
      const g = graphOf(k);
      const compiled = compileWasm(g, { seed: 1 });
      const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 2, parallelMinBytes: 0 });
      models.push(model);
      for (const [seq, batch] of [[7, 3], [1, 1], [4, 129]] as const) {
        const inputs = inputsFor(g, seq, batch, seq + batch);
        const want = interpret(g, inputs, new Map(), { dims: new Map([['N', seq], ['B', batch]]) }).outputs;
        const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }])) as never);
        for (const [name, expected] of want) {
          expect(got[name]!.shape, name).toEqual(expected.shape);
          expect(relativeL2(Array.from(got[name]!.data as Float32Array), toNumbers(expected)), `${k.name}: ${name} at ${seq}×${batch}`).toBeLessThanOrEqual(1e-6);
        }
      }
      // A length past the sequence is refused as the interpreter refuses it (SL2013), and the next run is fine.
      const bad = inputsFor(g, 5, 3, 9, tensor('i32', [3], [5, 6, 2]));
      const error = await model.run(Object.fromEntries([...bad].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }])) as never).then(() => undefined, (e: unknown) => e);
      expect(error).toBeInstanceOf(DataError);
      expect((error as DataError).code).toBe(2013);
      expect((error as DataError).detail).toBe('sequence length 6 of batch entry 1 is out of range for a sequence of 5 steps');
      const good = inputsFor(g, 5, 3, 9);
      await expect(model.run(Object.fromEntries([...good].map(([name, t]) => [name, { data: t.data, shape: [...t.shape] }])) as never)).resolves.toBeDefined();
    }
  });

  it('the LSTM tagger fixture runs on wasm and matches the interpreter', async () => {
    const file = 'test/fixtures/onnx/lstm_tagger.onnx';
    for (const [batch, sequence] of [[2, 7], [1, 1], [3, 16]] as const) {
      const ids = tensor('i64', [batch, sequence], Array.from({ length: batch * sequence }, (_, i) => (i * 17 + 3) % 50));
      const { checks } = await run(file, { input_ids: ids }, { target: 'wasm', check: true, randomWeights: true, threads: 1 });
      expect(checks!.length).toBeGreaterThan(0);
      for (const check of checks!) expect(check.ok, JSON.stringify(check)).toBe(true);
    }
  });
});
