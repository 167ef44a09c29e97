// onnxruntime as a second oracle for whole exported models: each fixture in
// test/fixtures/onnx/ (PyTorch exports of common layers; scripts/export-onnx-fixtures.py) runs
// in onnxruntime-node (CPU) and through sluice's importer and interpreter on the same seeded
// random inputs, at two or more sizes of its dynamic axes, and every output must agree:
// relative L2 error ≤ 1e-4 for floats, exact for integers. An import failure is a test
// failure, never a skip: these are the models sluice is meant to run.

import { join, resolve } from 'node:path';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { compareTensors, type OutputCheck } from '../../compiler/driver/compare.js';
import { loadOnnx } from '../../compiler/import/onnx/index.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor, type Tensor } from '../../compiler/interpret/tensor.js';
import { seededRandom } from '../helpers/random.js';

const FIXTURES = resolve(import.meta.dirname, '../fixtures/onnx');
/** Relative L2 error allowed for float outputs (the project's f32 tolerance). */
const REL_L2 = 1e-4;

type Inputs = Record<string, Tensor>;
type Rand = () => number;

interface Fixture {
  readonly file: string;
  /** Sizes of the dynamic axes to run at, by the model's dim_param names (and extras). */
  readonly sizes: readonly Record<string, number>[];
  readonly inputs: (size: Record<string, number>, rand: Rand) => Inputs;
}

/** Floats uniform in [-scale, scale), never all zeros. */
function floats(shape: readonly number[], rand: Rand, scale = 1): Tensor {
  return tensor('f32', shape, Float32Array.from({ length: shape.reduce((a, b) => a * b, 1) }, () => rand() * scale));
}

function int64(shape: readonly number[], value: (index: number[]) => number): Tensor {
  const data = new BigInt64Array(shape.reduce((a, b) => a * b, 1));
  const index = shape.map(() => 0);
  for (let i = 0; i < data.length; i++) {
    data[i] = BigInt(value(index));
    for (let axis = shape.length - 1; axis >= 0 && ++index[axis]! === shape[axis]; axis--) index[axis] = 0;
  }
  return tensor('i64', shape, data);
}

/** An integer uniform in [0, n). */
function below(n: number, rand: Rand): number {
  return Math.min(n - 1, Math.floor(((rand() + 1) / 2) * n));
}

const FIXTURE_LIST: readonly Fixture[] = [
  {
    file: 'bert_encoder_layer.onnx',
    sizes: [{ batch: 2, sequence: 7 }, { batch: 3, sequence: 16 }],
    inputs: ({ batch, sequence }, rand) => {
      // Right padding: row 0 is full length, the others keep 1..sequence tokens.
      const lengths = Array.from({ length: batch! }, (_, b) => (b === 0 ? sequence! : 1 + below(sequence!, rand)));
      return {
        hidden_states: floats([batch!, sequence!, 32], rand),
        attention_mask: int64([batch!, sequence!], ([b, s]) => (s! < lengths[b!]! ? 1 : 0)),
      };
    },
  },
  {
    file: 'gpt2_decoder_block.onnx',
    sizes: [{ batch: 2, sequence: 7 }, { batch: 1, sequence: 16 }],
    inputs: ({ batch, sequence }, rand) => ({ hidden_states: floats([batch!, sequence!, 32], rand) }),
  },
  {
    file: 'llama_gqa_decode_step.onnx',
    // One new token after a 7-token prompt, and a 4-token chunk after 12 cached tokens.
    sizes: [{ batch: 2, sequence: 1, past_sequence: 7 }, { batch: 1, sequence: 4, past_sequence: 12 }],
    inputs: ({ batch, sequence, past_sequence }, rand) => ({
      hidden_states: floats([batch!, sequence!, 64], rand),
      position_ids: int64([batch!, sequence!], ([, s]) => past_sequence! + s!),
      past_key: floats([batch!, 2, past_sequence!, 16], rand),
      past_value: floats([batch!, 2, past_sequence!, 16], rand),
    }),
  },
  {
    file: 'resnet_basic_block.onnx',
    sizes: [{ batch: 1, height: 8, width: 8 }, { batch: 2, height: 5, width: 7 }],
    inputs: ({ batch, height, width }, rand) => ({ input: floats([batch!, 16, height!, width!], rand) }),
  },
  {
    file: 'lstm_tagger.onnx',
    sizes: [{ batch: 2, sequence: 7 }, { batch: 3, sequence: 16 }],
    inputs: ({ batch, sequence }, rand) => ({ input_ids: int64([batch!, sequence!], () => below(50, rand)) }),
  },
];

// --- onnxruntime tensors <-> sluice tensors ---------------------------------------------

function toOrt(t: Tensor): OrtTensor {
  switch (t.dtype) {
    case 'f32': return new OrtTensor('float32', t.data as Float32Array, [...t.shape]);
    case 'i64': return new OrtTensor('int64', t.data as BigInt64Array, [...t.shape]);
    default: throw new Error(`no onnxruntime tensor for ${t.dtype} in this test`);
  }
}

function fromOrt(t: OrtTensor): Tensor {
  const shape = t.dims.map(Number);
  switch (t.type) {
    case 'float32': return tensor('f32', shape, t.data as Float32Array);
    case 'int64': return tensor('i64', shape, t.data as BigInt64Array);
    case 'int32': return tensor('i32', shape, t.data as Int32Array);
    case 'bool': return tensor('bool', shape, t.data as Uint8Array);
    default: throw new Error(`onnxruntime output of type ${t.type} is not handled by this test`);
  }
}

async function runOrt(session: InferenceSession, inputs: Inputs): Promise<Map<string, Tensor>> {
  const feeds: Record<string, OrtTensor> = {};
  for (const [name, t] of Object.entries(inputs)) feeds[name] = toOrt(t);
  const results = await session.run(feeds);
  return new Map(session.outputNames.map((name) => [name, fromOrt(results[name]!)]));
}

function describeCheck(c: OutputCheck): string {
  return c.mismatch ? `${c.name}: ${c.mismatch}` : `${c.name}: relL2 ${c.relL2Error.toExponential(2)}, maxAbs ${c.maxAbsError.toExponential(2)}`;
}

// --- the tests --------------------------------------------------------------------------

for (const [index, fixture] of FIXTURE_LIST.entries()) {
  describe(fixture.file, () => {
    const path = join(FIXTURES, fixture.file);
    let session: Promise<InferenceSession> | undefined;
    const ortSession = (): Promise<InferenceSession> =>
      (session ??= InferenceSession.create(path, { executionProviders: ['cpu'] }));
    let imported: Graph | string | undefined;
    const sluiceGraph = (): Graph => {
      if (imported === undefined) {
        const r = loadOnnx(path);
        imported = r.graph && !r.diagnostics.some((d) => d.severity === 'error') ? r.graph : formatDiagnostics(r.diagnostics) || 'import gave no graph and no diagnostics';
      }
      if (typeof imported === 'string') expect.fail(`sluice could not import ${fixture.file}:\n${imported}`);
      return imported;
    };

    it('imports, with the inputs and outputs onnxruntime sees', async () => {
      const s = await ortSession();
      const graph = sluiceGraph();
      expect(graph.inputs.map((i) => i.attrs.name)).toEqual(s.inputNames);
      expect(graph.outputs.map((o) => o.name)).toEqual(s.outputNames);
    });

    for (const size of fixture.sizes) {
      const label = Object.entries(size).map(([k, v]) => `${k}=${v}`).join(', ');
      it(`agrees with onnxruntime at ${label}`, async () => {
        const rand = seededRandom(1000 * (index + 1) + fixture.sizes.indexOf(size));
        const inputs = fixture.inputs(size, rand);
        const expected = await runOrt(await ortSession(), inputs);
        const graph = sluiceGraph();
        const { outputs } = interpret(graph, new Map(Object.entries(inputs)));
        const checks = [...expected].map(([name, want]) => {
          const got = outputs.get(name);
          if (!got) return { name, maxAbsError: Infinity, relL2Error: Infinity, tolerance: REL_L2, ok: false, mismatch: 'sluice gave no such output' };
          return compareTensors(name, got, want);
        });
        const bad = checks.filter((c) => !c.ok || c.relL2Error > REL_L2);
        if (bad.length) expect.fail(`sluice differs from onnxruntime (relative L2 tolerance ${REL_L2}): ${bad.map(describeCheck).join('; ')}`);
      });
    }
  });
}
