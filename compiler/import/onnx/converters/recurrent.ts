// Recurrent layers: LSTM, GRU and RNN become one IR `rnn` op per requested result (Y, Y_h,
// Y_c), sharing their operands. The converter resolves ONNX's defaults so the IR op is
// explicit: the activation list for every direction, one alpha and beta per activation
// (taken in order by the functions that use them, defaults from the matching ONNX ops, as
// onnxruntime does), the hidden size.

import { constValue } from '../../../ir/dim.js';
import type { Node, OpAttrs } from '../../../ir/node.js';
import type { ConvertContext } from '../context.js';
import type { ConverterTable } from '../converter.js';
import {
  RNN_ACTIVATIONS_PER_DIRECTION, type RnnActivation, type RnnCell, type RnnOptionalInput,
} from '../../../interpret/kernels/recurrent.js';

const DEFAULT_ACTIVATIONS: Readonly<Record<RnnCell, readonly RnnActivation[]>> = {
  lstm: ['Sigmoid', 'Tanh', 'Tanh'],
  gru: ['Sigmoid', 'Tanh'],
  rnn: ['Tanh'],
};

/** Which activations take alpha and beta, and their defaults (those of the ONNX ops of the same name). */
const PARAMETERS: Readonly<Record<RnnActivation, { alpha?: number; beta?: number }>> = {
  Relu: {},
  Tanh: {},
  Sigmoid: {},
  Softsign: {},
  Softplus: {},
  Affine: { alpha: 1, beta: 0 },
  LeakyRelu: { alpha: 0.01 },
  ThresholdedRelu: { alpha: 1 },
  ScaledTanh: { alpha: 1, beta: 1 },
  HardSigmoid: { alpha: 0.2, beta: 0.5 },
  Elu: { alpha: 1 },
};

const BY_LOWER_NAME: ReadonlyMap<string, RnnActivation> = new Map(
  (Object.keys(PARAMETERS) as RnnActivation[]).map((name) => [name.toLowerCase(), name]),
);

/** Optional inputs by position: B, sequence_lens, initial_h (3..5), then LSTM's initial_c, P. */
const OPTIONAL_INPUTS: readonly RnnOptionalInput[] = ['B', 'sequence_lens', 'initial_h', 'initial_c', 'P'];
const OUTPUTS = ['Y', 'Y_h', 'Y_c'] as const;

function activationsOf(ctx: ConvertContext, cell: RnnCell, dirs: number): Pick<OpAttrs['rnn'], 'activations' | 'activationAlpha' | 'activationBeta'> {
  const per = RNN_ACTIVATIONS_PER_DIRECTION[cell];
  const given = ctx.attrs.strings('activations');
  let names: RnnActivation[];
  if (given === undefined) {
    names = Array.from({ length: dirs }, () => DEFAULT_ACTIVATIONS[cell]).flat();
  } else {
    names = given.map((s) => BY_LOWER_NAME.get(s.toLowerCase()) ?? ctx.fail('onnxUnsupportedFeature', `${ctx.node.opType} activation '${s}' is not supported (known: ${[...BY_LOWER_NAME.values()].join(', ')})`));
    // A bidirectional layer given one direction's functions uses them for both.
    if (dirs === 2 && names.length === per) names = [...names, ...names];
    if (names.length !== per * dirs) ctx.fail('onnxBadAttribute', `${ctx.node.opType} needs ${per * dirs} activations for ${dirs} direction${dirs > 1 ? 's' : ''}, got ${names.length}`);
  }
  const alphas = ctx.attrs.floats('activation_alpha', []);
  const betas = ctx.attrs.floats('activation_beta', []);
  let nextAlpha = 0, nextBeta = 0;
  const activationAlpha: number[] = [], activationBeta: number[] = [];
  for (const name of names) {
    const p = PARAMETERS[name];
    activationAlpha.push(p.alpha === undefined ? 0 : nextAlpha < alphas.length ? alphas[nextAlpha++]! : p.alpha);
    activationBeta.push(p.beta === undefined ? 0 : nextBeta < betas.length ? betas[nextBeta++]! : p.beta);
  }
  return { activations: names, activationAlpha, activationBeta };
}

function recurrent(cell: RnnCell) {
  return function convert(ctx: ConvertContext): (Node | undefined)[] {
    const op = ctx.node.opType;
    const direction = ctx.attrs.string('direction', 'forward');
    if (direction !== 'forward' && direction !== 'reverse' && direction !== 'bidirectional') {
      ctx.fail('onnxBadAttribute', `${op} direction must be forward, reverse or bidirectional, got '${direction}'`);
    }
    const dirs = direction === 'bidirectional' ? 2 : 1;
    const layoutAttr = ctx.opset >= 14 ? ctx.attrs.int('layout', 0) : 0;
    if (layoutAttr !== 0 && layoutAttr !== 1) ctx.fail('onnxBadAttribute', `${op} layout must be 0 or 1, got ${layoutAttr}`);
    const layout = layoutAttr as 0 | 1;
    const r = ctx.input(2);
    const hiddenSize = ctx.attrs.int('hidden_size') ?? (r.shape.length === 3 ? constValue(r.shape[2]!) : undefined);
    if (hiddenSize === undefined) ctx.fail('onnxNotConstant', `the hidden size of ${op} (attribute hidden_size, or the last dim of R)`);
    const optional = cell === 'lstm' ? OPTIONAL_INPUTS : OPTIONAL_INPUTS.slice(0, 3);
    const src = [ctx.input(0), ctx.input(1), r];
    const inputs: RnnOptionalInput[] = [];
    optional.forEach((name, k) => {
      const n = ctx.optionalInput(3 + k);
      if (n === undefined) return;
      src.push(n);
      inputs.push(name);
    });
    const attrs: Omit<OpAttrs['rnn'], 'output'> = {
      cell,
      hiddenSize,
      direction,
      ...activationsOf(ctx, cell, dirs),
      clip: ctx.attrs.float('clip'),
      linearBeforeReset: cell === 'gru' && ctx.attrs.int('linear_before_reset', 0) !== 0,
      inputForget: cell === 'lstm' && ctx.attrs.int('input_forget', 0) !== 0,
      layout,
      inputs,
    };
    const outputs = cell === 'lstm' ? OUTPUTS : OUTPUTS.slice(0, 2);
    if (ctx.node.outputs.length > outputs.length) ctx.fail('onnxBadInput', `${op} has at most ${outputs.length} outputs, got ${ctx.node.outputs.length}`);
    return ctx.node.outputs.map((name, i) => (name === '' ? undefined : ctx.op('rnn', src, { ...attrs, output: outputs[i]! })));
  };
}

export const RECURRENT_CONVERTERS: ConverterTable = {
  LSTM: recurrent('lstm'),
  GRU: recurrent('gru'),
  RNN: recurrent('rnn'),
};
