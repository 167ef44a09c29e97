import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { dimSymbols, evalDim } from '../../../compiler/ir/dim.js';
import { topoOrder } from '../../../compiler/ir/graph.js';
import { verifyGraph } from '../../../compiler/ir/verify.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { specializeDims, weightSymbols } from '../../../compiler/passes/specialize-dims.js';
import { randomTensor } from '../../helpers/random.js';

const root = resolve(import.meta.dirname, '../../..');

describe('specializeDims', () => {
  it('fixes the symbols of the transformer block and computes the same thing', () => {
    const graph = loadModel(join(root, 'examples/transformer-block.sluice'));
    expect([...weightSymbols(graph)].sort()).toEqual(['D', 'F', 'H', 'KV']);
    const fixed = new Map([['D', 32], ['H', 4], ['KV', 2], ['F', 48]]);
    const special = specializeDims(graph, fixed);
    expect(special.dims.map((d) => d.name)).toEqual(['S']);
    for (const n of topoOrder(special)) for (const d of n.shape) expect([...dimSymbols(d)].every((s) => s === 'S')).toBe(true);
    expect(verifyGraph(special)).toEqual([]);

    for (const S of [1, 7]) {
      const env = new Map([...fixed, ['S', S]]);
      const weights = new Map(graph.params.map((p, i) => [p.attrs.name, randomTensor('f32', p.shape.map((d) => evalDim(d, env)), 40 + i)]));
      const inputs = new Map([['x', randomTensor('f32', [S, 32], 3)]]);
      const want = interpret(graph, inputs, weights, { dims: fixed }).outputs.get('y')!;
      const got = interpret(special, inputs, weights).outputs.get('y')!;
      expect(got.shape).toEqual([S, 32]);
      expect([...got.data]).toEqual([...want.data]);
    }
  });

  it('reports a value that makes a shape fractional', () => {
    const graph = loadModel(join(root, 'examples/transformer-block.sluice'));
    expect(() => specializeDims(graph, new Map([['D', 30], ['H', 4]]))).toThrow(DiagnosticError);
    expect(() => specializeDims(graph, new Map([['D', 30], ['H', 4]]))).toThrow(/dimension '15\/2' evaluates to 7.5 for D=30, H=4/);
  });
});
