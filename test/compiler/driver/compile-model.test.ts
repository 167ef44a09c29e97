import { join, resolve } from 'node:path';
import { describe, expect, it } from 'vitest';
import { DiagnosticError } from '../../../compiler/diagnostics/diagnostic.js';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { loadModel } from '../../../compiler/driver/load-model.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { unsharedArenaBytes } from '../../../compiler/schedule/memory-plan.js';
import { checkManifest } from '../../../runtime/manifest.js';
import { evalDimJson } from '../../../runtime/dim-eval.js';
import { randomTensor } from '../../helpers/random.js';

const root = resolve(import.meta.dirname, '../../..');
const mlp = () => loadModel(join(root, 'examples/mlp.sluice'));

describe('compileWasm', () => {
  it('compiles the MLP: weight dims fixed, the batch symbolic, memory reported at B=16', () => {
    const c = compileWasm(mlp());
    const m = c.manifest;
    expect(checkManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(m.model).toBe('MLP');
    expect(m.dims).toEqual([{ name: 'B' }]);
    expect(Object.fromEntries(c.fixedDims)).toEqual({ D: 64, F: 256, C: 10 });
    expect(m.inputs).toEqual([{ name: 'x', value: expect.any(String), dtype: 'f32', shape: ['B', 64] }]);
    expect(m.outputs.map((o) => [o.name, o.shape])).toEqual([['logits', ['B', 10]], ['probs', ['B', 10]]]);
    expect(m.dimBindings).toEqual([{ symbol: 'B', input: 'x', axis: 0 }]);
    expect(m.weights.map((w) => w.name).filter((n) => !n.startsWith('const_')).sort()).toEqual(['b1', 'b2', 'w1', 'w2']);
    expect(m.stats.weightsBytes).toBeGreaterThanOrEqual(4 * (64 * 256 + 256 + 256 * 10 + 10));
    expect(m.stats.weightsBytes).toBe(c.weights.length);
    expect(m.stats.dims).toEqual({ B: 16, D: 64, F: 256, C: 10 });
    expect(m.stats.kernels).toBe(c.program.kernels.length);
    expect(c.notes.join('\n')).toContain('parameters are seeded random values');
    expect(c.notes.join('\n')).toContain('dimension B stays symbolic; memory is reported at B=16');
    // The arena is what the runtime computes, and never more than one slot per temporary.
    for (const B of [1, 7, 129]) {
      const env = new Map([['B', B]]);
      expect(evalDimJson(m.arena.bytes, { B })).toBe(evalDim(c.plan.regionBytes.arena, env));
      expect(evalDim(c.plan.regionBytes.arena, env)).toBeLessThanOrEqual(evalDim(unsharedArenaBytes(c.program), env));
    }
    expect(c.wasm.subarray(0, 4)).toEqual(new Uint8Array([0, 97, 115, 109]));
  });

  it('fixes a dim given with --dim and takes weights by name', () => {
    const graph = mlp();
    const weights = new Map(graph.params.map((p, i) => [p.attrs.name, randomTensor('f32', p.shape.map((d) => evalDim(d, new Map([['D', 64], ['F', 256], ['C', 10]]))), 30 + i)]));
    const c = compileWasm(graph, { dims: { B: 3 }, weights });
    expect(c.manifest.dims).toEqual([]);
    expect(c.manifest.inputs[0]!.shape).toEqual([3, 64]);
    expect(c.manifest.arena.bytes).toBe(c.manifest.stats.arenaBytes);
    expect(c.notes.join('\n')).not.toContain('random');
    const w1 = c.manifest.weights.find((w) => w.name === 'w1')!;
    expect([...new Float32Array(c.weights.slice(w1.offset, w1.offset + 16).buffer)]).toEqual([...(weights.get('w1')!.data as Float32Array).slice(0, 4)]);
  });

  it('fixes a symbol that no input binds (the head count of attention.sluice)', () => {
    const c = compileWasm(loadModel(join(root, 'examples/attention.sluice')));
    expect(c.manifest.dims).toEqual([{ name: 'S' }]);
    expect(Object.fromEntries(c.fixedDims)).toEqual({ D: 128, H: 4 });
  });

  it('reports user mistakes as diagnostics', () => {
    expect(() => compileWasm(mlp(), { dims: { Q: 3 } })).toThrow(DiagnosticError);
    expect(() => compileWasm(mlp(), { dims: { Q: 3 } })).toThrow(/no dimension named 'Q'/);
    expect(() => compileWasm(mlp(), { randomWeights: false })).toThrow(/parameter 'w1' is not in the weights file/);
    const wrong = new Map([['w1', randomTensor('f32', [3, 3], 1)]]);
    expect(() => compileWasm(mlp(), { weights: wrong })).toThrow(/parameter 'w1' must be f32\[64, 256\]/);
    expect(() => compileWasm(mlp(), { dims: { B: 2 ** 22 } })).toThrow(/over the 4,294,967,296 bytes a wasm32 module can address; the largest tensor is/);
  });
});
