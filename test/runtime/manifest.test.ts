import { describe, expect, it } from 'vitest';
import { evalDim } from '../../compiler/ir/dim.js';
import { buildManifest } from '../../compiler/package/build-manifest.js';
import { packWeights } from '../../compiler/package/pack-weights.js';
import { planMemory } from '../../compiler/schedule/memory-plan.js';
import { evalDimJson } from '../../runtime/dim-eval.js';
import { checkManifest, ManifestError, type Manifest } from '../../runtime/manifest.js';
import { biasProgram } from '../helpers/hand-program.js';
import { randomTensor } from '../helpers/random.js';

function biasPlanned() {
  const program = biasProgram();
  return { program, plan: planMemory(program) };
}

function biasManifest(): Manifest {
  const { program, plan } = biasPlanned();
  const { entries } = packWeights(program, plan, new Map([['b', randomTensor('f32', [8], 3)]]));
  return buildManifest({ program, plan, weights: entries, statsDims: new Map([['S', 16]]) });
}

/** A deep copy with `edit` applied, as parsed JSON. */
function edited(edit: (m: any) => void): unknown {
  const m = JSON.parse(JSON.stringify(biasManifest()));
  edit(m);
  return m;
}

function errorOf(json: unknown): string {
  try {
    checkManifest(json);
  } catch (e) {
    expect(e).toBeInstanceOf(ManifestError);
    return (e as Error).message;
  }
  throw new Error('checkManifest accepted it');
}

describe('manifest', () => {
  it('survives a JSON round trip and checkManifest', () => {
    const m = biasManifest();
    expect(checkManifest(JSON.parse(JSON.stringify(m)))).toEqual(m);
    expect(m.dims).toEqual([{ name: 'S' }]);
    expect(m.inputs).toEqual([{ name: 'x', value: 'x', dtype: 'f32', shape: ['S', 8] }]);
    expect(m.dimBindings).toEqual([{ symbol: 'S', input: 'x', axis: 0 }]);
    expect(m.weights).toEqual([{ value: 'b', name: 'b', dtype: 'f32', shape: [8], offset: 0, bytes: 32 }]);
    expect(m.stats).toMatchObject({ arenaBytes: 16 * 8 * 4, weightsBytes: 32, stateBytes: 0, kernels: 2, dispatches: 2 });
  });

  it('gives sizes the runtime evaluates exactly as the compiler does', () => {
    const { plan } = biasPlanned();
    const m = biasManifest();
    for (const S of [1, 7, 129]) {
      const env = new Map([['S', S]]);
      const obj = { S };
      expect(evalDimJson(m.arena.bytes, obj)).toBe(evalDim(plan.regionBytes.arena, env));
      expect(evalDimJson(m.regions.io, obj)).toBe(evalDim(plan.regionBytes.io, env));
      for (const v of m.values) expect(evalDimJson(v.location.offset, obj)).toBe(evalDim(plan.locations.get(v.id)!.offset, env));
    }
  });

  it('names the field that is wrong', () => {
    expect(errorOf(edited((m) => (m.format = 'onnx')))).toMatch(/^invalid manifest: format: expected "sluice-package"/);
    expect(errorOf(edited((m) => (m.version = 2)))).toMatch(/version: this runtime reads version 1, the package has number 2/);
    expect(errorOf(edited((m) => delete m.inputs))).toMatch(/inputs: expected an array, got undefined/);
    expect(errorOf(edited((m) => (m.inputs[0].shape[1] = true)))).toMatch(/inputs\[0\]\.shape\[1\]: expected a dim/);
    expect(errorOf(edited((m) => (m.inputs[0].dtype = 'f8')))).toMatch(/inputs\[0\]\.dtype: expected one of f64, f32/);
    expect(errorOf(edited((m) => (m.arena.bytes = { op: '^', a: 1, b: 2 })))).toMatch(/arena\.bytes\.op: expected one of/);
    expect(errorOf(edited((m) => (m.values[2].location.region = 'heap')))).toMatch(/values\[2\]\.location\.region/);
    expect(errorOf(edited((m) => (m.weights[0].offset = -4)))).toMatch(/weights\[0\]\.offset: expected a non-negative integer/);
    expect(errorOf(edited((m) => (m.weights[0].bytes = 4096)))).toMatch(/weights\[0\]: bytes 0\.\.4096 exceed the weights region/);
    expect(errorOf(edited((m) => (m.dispatches[1].kernel = 'nope')))).toMatch(/dispatches\[1\]\.kernel: kernel "nope" is not in kernels/);
    expect(errorOf(edited((m) => delete m.dispatches[1].buffers.b))).toMatch(/dispatches\[1\]\.buffers: no value for buffer "b" of kernel "add_bias"/);
    expect(errorOf(edited((m) => (m.dispatches[0].buffers.a = 'v99')))).toMatch(/dispatches\[0\]\.buffers\.a: value "v99" is not in values/);
    expect(errorOf(edited((m) => delete m.dispatches[1].uniforms.m))).toMatch(/no value for uniform "m"/);
    expect(errorOf(edited((m) => (m.dispatches[0].grid[0] = 'Q')))).toMatch(/dispatches\[0\]\.grid\[0\]: symbol "Q" is not declared/);
    expect(errorOf(edited((m) => (m.dimBindings[0].axis = 1)))).toMatch(/dimBindings\[0\]\.axis: axis 1 of input "x" is not the symbol "S"/);
    expect(errorOf(edited((m) => m.values.push(m.values[0])))).toMatch(/values\[4\]\.id: duplicate value id "x"/);
    expect(errorOf(null)).toMatch(/manifest: expected an object, got null/);
  });

  it('accepts the optional fields', () => {
    const m = checkManifest(edited((m) => {
      m.files.relaxedModule = 'model.relaxed.wasm';
      m.kernels[0].scratchBytes = 64;
    }));
    expect(m.files.relaxedModule).toBe('model.relaxed.wasm');
    expect(m.kernels[0]!.scratchBytes).toBe(64);
  });
});

describe('evalDimJson', () => {
  it('evaluates every op and refuses what is not a size', () => {
    const env = { S: 7, H: 2 };
    expect(evalDimJson({ op: 'floordiv', a: 'S', b: 'H' }, env)).toBe(3);
    expect(evalDimJson({ op: 'mod', a: 'S', b: 'H' }, env)).toBe(1);
    expect(evalDimJson({ op: 'max', a: 'S', b: 9 }, env)).toBe(9);
    expect(evalDimJson({ op: 'min', a: 'S', b: 9 }, env)).toBe(7);
    expect(evalDimJson({ op: '/', a: { op: '+', a: 'S', b: 1 }, b: 'H' }, env)).toBe(4);
    expect(evalDimJson({ op: '*', a: { op: '-', a: 'S', b: 1 }, b: 3 }, new Map([['S', 7]]))).toBe(18);
    expect(() => evalDimJson({ op: '/', a: 'S', b: 'H' }, env)).toThrow(/evaluates to 3.5/);
    expect(() => evalDimJson({ op: '-', a: 1, b: 'S' }, env)).toThrow(/evaluates to -6/);
    expect(() => evalDimJson('constructor', {})).toThrow(/'constructor' is not bound/);
  });
});

