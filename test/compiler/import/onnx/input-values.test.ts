// Values for graph inputs at import time: a model that needs one of them when it is imported
// (a Reshape shape fed as an input, SL3014) is specialised to the values given (integer inputs
// first, then all), with a warning (SL3019); without them, SL3014's note says how to give them.

import { describe, expect, it } from 'vitest';
import { formatDiagnostic } from '../../../../compiler/diagnostics/diagnostic.js';
import { importOnnx } from '../../../../compiler/import/onnx/index.js';
import { interpret } from '../../../../compiler/interpret/interpreter.js';
import { tensor, toNumbers, type Tensor } from '../../../../compiler/interpret/tensor.js';
import { encodeModel, ONNX_FLOAT, reshapeByInputModel } from '../../../helpers/onnx-model.js';
import { randomTensor } from '../../../helpers/random.js';

const w = randomTensor('f32', [2], 41);
const x = randomTensor('f32', [2, 6], 42);
const model = encodeModel(reshapeByInputModel(w));

/** x reshaped to [n, 6/(2n), 2] times w, in f32. */
function expected(xv: Tensor, wv: Tensor): number[] {
  const ws = toNumbers(wv);
  return toNumbers(xv).map((v, i) => Math.fround(v * ws[i % 2]!));
}

describe('importing with values for graph inputs', () => {
  it('without them, SL3014 names the input the value comes from and how to give it', () => {
    const r = importOnnx(model, 'm.onnx');
    expect(r.graph).toBeUndefined();
    expect(r.frozen).toEqual([]);
    const d = r.diagnostics.find((e) => e.code === 3014)!;
    expect(formatDiagnostic(d)).toContain("m.onnx: node 'reshape' (Reshape): error SL3014: the target shape (input 1 of Reshape) must be known when the model is imported");
    expect(d.notes).toEqual(["it comes from graph input 'shape'; give its value (sluice run --input shape=FILE, or the inputs passed to run()) and sluice specialises the model to it"]);
    // Values for other inputs do not help, and do not change the message.
    const onlyX = importOnnx(model, 'm.onnx', { inputValues: new Map([['x', x]]) });
    expect(onlyX.graph).toBeUndefined();
    expect(onlyX.diagnostics.map((e) => e.code)).toContain(3014);
  });

  it('freezes the integer input it needs, keeps x an input, and says so', () => {
    const shape = tensor('i64', [3], [3, 2, 2]);
    const r = importOnnx(model, 'm.onnx', { inputValues: new Map<string, Tensor>([['x', x], ['shape', shape]]) });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.frozen).toEqual(['shape']);
    expect(r.graph!.inputs.map((i) => i.attrs.name)).toEqual(['x']);
    const warning = r.diagnostics.find((d) => d.code === 3019)!;
    expect(warning.severity).toBe('warning');
    expect(warning.message).toBe("input 'shape' was frozen to the values given: the compiled model is specialised to them");
    // Another x runs through the same specialised graph.
    const other = randomTensor('f32', [2, 6], 43);
    const y = interpret(r.graph!, new Map([['x', other]])).outputs.get('y')!;
    expect(y.shape).toEqual([3, 2, 2]);
    expect(toNumbers(y)).toEqual(expected(other, w));
  });

  it('freezes every given input when the integer ones are not enough', () => {
    // Range with float bounds needs all three values; Reshape needs the integer shape.
    const spec = reshapeByInputModel(w);
    const bytes = encodeModel({
      ...spec,
      nodes: [...spec.nodes, { op: 'Range', inputs: ['start', 'limit', 'delta'], outputs: ['steps'], name: 'range' }],
      inputs: [...spec.inputs, ...['start', 'limit', 'delta'].map((name) => ({ name, elemType: ONNX_FLOAT, shape: [] }))],
      outputs: [...spec.outputs, { name: 'steps' }],
    });
    const values = new Map<string, Tensor>([
      ['x', x], ['shape', tensor('i64', [3], [1, 6, 2])],
      ['start', tensor('f32', [], [0.25])], ['limit', tensor('f32', [], [2.5])], ['delta', tensor('f32', [], [0.75])],
    ]);
    const r = importOnnx(bytes, 'm.onnx', { inputValues: values });
    expect(r.diagnostics.filter((d) => d.severity === 'error')).toEqual([]);
    expect(r.frozen).toEqual(['x', 'shape', 'start', 'limit', 'delta']);
    expect(r.diagnostics.find((d) => d.code === 3019)!.message).toBe("inputs 'x', 'shape', 'start', 'limit', 'delta' were frozen to the values given: the compiled model is specialised to them");
    const { outputs } = interpret(r.graph!, new Map());
    expect(toNumbers(outputs.get('steps')!)).toEqual([0.25, 1, 1.75]);
    expect(toNumbers(outputs.get('y')!)).toEqual(expected(x, w));
  });

  it('a value that does not fit the declared input is an error, not a specialisation', () => {
    const r = importOnnx(model, 'm.onnx', { inputValues: new Map([['shape', tensor('i64', [2], [3, 4])]]) });
    expect(r.graph).toBeUndefined();
    expect(r.frozen).toEqual(['shape']);
    expect(r.diagnostics.map((d) => d.message)).toContain("input 'shape' must have shape i64[3], got i64[2]");
    expect(r.diagnostics.some((d) => d.code === 3019)).toBe(false);
  });

  it('a model that imports without them is not specialised', () => {
    const bytes = encodeModel({ ...reshapeByInputModel(w), initializers: { w, shape: tensor('i64', [3], [2, 3, 2]) }, inputs: [{ name: 'x', shape: [2, 6] }] });
    const r = importOnnx(bytes, 'm.onnx', { inputValues: new Map([['x', x]]) });
    expect(r.diagnostics).toEqual([]);
    expect(r.frozen).toEqual([]);
    expect(r.graph!.inputs.map((i) => i.attrs.name)).toEqual(['x']);
  });
});
