// Regression for the GPT-2 crash: binaryen aborted (`values.size() == 1`, wasm-interpreter.h)
// optimising a module whose f32x4 math function had one expression node in two places and
// was called with a constant argument (GELU's pow(x, 3)). The tree check names such a
// function; the minimal kernel and the GPT-2 block now compile, and run like the interpreters.

import binaryen from 'binaryen';
import { afterAll, describe, expect, test } from 'vitest';
import { compileWasm } from '../../../compiler/driver/compile-model.js';
import { loadModel as loadOnnx } from '../../../compiler/driver/load-model.js';
import { interpret } from '../../../compiler/interpret/interpreter.js';
import { toNumbers, type Tensor } from '../../../compiler/interpret/tensor.js';
import { evalDim } from '../../../compiler/ir/dim.js';
import { f32, i32, KernelBuilder, load, mul, splat, store, unary, binary } from '../../../compiler/kernel/builder.js';
import { graphPasses, runPasses } from '../../../compiler/passes/pipeline.js';
import { functionsWithSharedExpressions } from '../../../targets/wasm/check-tree.js';
import { loadModel, type Model } from '../../../runtime/wasm/index.js';
import { randomTensor } from '../../helpers/random.js';
import { expectWasmMatchesInterpreter, freshSeed, loadKernels } from './harness.js';

describe('binaryen IR stays a tree', () => {
  test('a node used twice is found (binaryen validation accepts it)', () => {
    const m = new binaryen.Module();
    try {
      m.setFeatures(binaryen.Features.SIMD128);
      const get = m.local.get(0, binaryen.v128);
      const shuffle = m.i8x16.shuffle(get, get, [0, 1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15]);
      m.addFunction('shared', binaryen.createType([binaryen.v128]), binaryen.v128, [], shuffle);
      m.addFunction('tree', binaryen.createType([binaryen.v128]), binaryen.v128, [],
        m.f32x4.add(m.local.get(0, binaryen.v128), m.local.get(0, binaryen.v128)));
      expect(m.validate()).toBeTruthy(); // binaryen's validator does not see it
      expect(functionsWithSharedExpressions(m)).toEqual(['shared']);
    } finally {
      m.dispose();
    }
  });

  // The pattern from GPT-2's GELU: f32x4 math calls whose argument is a constant vector.
  test('f32x4 math on constant vectors compiles and matches the interpreter', () => {
    const seed = freshSeed();
    const kb = new KernelBuilder('gelu_pow_const', []);
    const x = kb.buffer('x', 'f32', 'read');
    const y = kb.buffer('y', 'f32', 'write');
    kb.loop('i', i32(0), kb.uniform('n4'), 'grid.x', (i) => {
      const at = mul(i, i32(4));
      const cube = binary('pow', load(x, at, 4), splat(f32(3), 4));
      const constant = unary('tanh', splat(f32(0.5), 4));
      const other = binary('pow', splat(f32(2), 4), unary('exp', splat(f32(-1.5), 4)));
      kb.emit(store(y, at, mul(mul(cube, constant), other)));
    });
    const kernel = kb.finish();
    const loaded = loadKernels([kernel]);
    let state = seed;
    const next = (): number => ((state = (state * 1103515245 + 12345) % 2 ** 31) / 2 ** 31) * 2 - 1;
    for (const n of [1, 7, 129]) {
      const xs = Float32Array.from({ length: 4 * n }, () => Math.fround(next() * 3));
      expectWasmMatchesInterpreter(loaded, kernel, { x: xs, y: new Float32Array(4 * n) }, { n4: n },
        { rtol: 1e-6, atol: 1e-6, label: `seed ${seed}, n ${n}` });
    }
  });
});

describe('GPT-2 decoder block through the wasm runtime', () => {
  const models: Model[] = [];
  afterAll(() => models.forEach((m) => m.dispose()));

  test('compiles and matches the Graph IR interpreter', async () => {
    const graph = runPasses(loadOnnx('test/fixtures/onnx/gpt2_decoder_block.onnx'), graphPasses()).graph;
    const compiled = compileWasm(graph, { seed: 3 });
    expect(compiled.notes.join('\n')).not.toMatch(/random values/); // the fixture's own weights
    const model = await loadModel({ manifest: compiled.manifest, wasm: compiled.wasm, weights: compiled.weights, threads: 1 });
    models.push(model);
    for (const sequence of [1, 7]) {
      const env = new Map([...compiled.dims, ['sequence', sequence]]);
      const inputs = new Map<string, Tensor>();
      graph.inputs.forEach((i, k) => inputs.set(i.attrs.name, randomTensor(i.dtype, i.shape.map((d) => evalDim(d, env)), sequence * 10 + k)));
      const want = interpret(graph, inputs, graph.weights, { dims: env }).outputs;
      const got = await model.run(Object.fromEntries([...inputs].map(([name, t]) => [name, { data: t.data, shape: t.shape }])) as never);
      for (const [name, expected] of want) {
        const out = got[name]!;
        expect(out.shape, name).toEqual(expected.shape);
        const e = toNumbers(expected);
        const a = Array.from(out.data as ArrayLike<number>, Number);
        let num = 0;
        let den = 0;
        a.forEach((v, i) => { num += (v - e[i]!) ** 2; den += e[i]! ** 2; });
        expect(Math.sqrt(num / den), `${name} at sequence=${sequence}`).toBeLessThanOrEqual(1e-5);
      }
    }
  });
});
