// onnxruntime as a second oracle for whole exported models: each fixture in
// test/fixtures/onnx/ (PyTorch exports of common layers; scripts/export-onnx-fixtures.py) runs
// in onnxruntime-node (CPU) and through sluice's importer and interpreter on the same seeded
// random inputs, at two or more sizes of its dynamic axes, and every output must agree:
// relative L2 error ≤ 1e-4 for floats, exact for integers. An import failure is a test
// failure, never a skip: these are the models sluice is meant to run. One-node models of
// com.microsoft GroupQueryAttention (built here) are checked the same way, KV caches included.

import { join, resolve } from 'node:path';
import { InferenceSession, Tensor as OrtTensor } from 'onnxruntime-node';
import { describe, expect, it } from 'vitest';
import { formatDiagnostics } from '../../compiler/diagnostics/diagnostic.js';
import { compareTensors, type OutputCheck } from '../../compiler/driver/compare.js';
import { importOnnx, loadOnnx } from '../../compiler/import/onnx/index.js';
import type { Graph } from '../../compiler/ir/graph.js';
import { interpret } from '../../compiler/interpret/interpreter.js';
import { tensor, type Tensor } from '../../compiler/interpret/tensor.js';
import { encodeModel, ONNX_FLOAT, type ValueSpec } from '../helpers/onnx-model.js';
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
    case 'i32': return new OrtTensor('int32', t.data as Int32Array, [...t.shape]);
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

// --- com.microsoft GroupQueryAttention, one node ------------------------------------------

const ONNX_INT32 = 6;

interface GqaCase {
  readonly label: string;
  readonly batch: number;
  /** New tokens. */
  readonly sequence: number;
  /** Cached tokens in past_key/past_value (0: no past inputs). */
  readonly past: number;
  /** seqlens_k: each entry's total length minus 1. */
  readonly seqlens: readonly number[];
  readonly total: number;
  /** total_sequence_length as an initializer (known at import) instead of a graph input. */
  readonly totalConstant?: boolean;
  readonly attrs?: Readonly<Record<string, number>>;
  /** cos/sin caches of this many positions (do_rotary=1). */
  readonly rotaryPositions?: number;
}

const GQA = { heads: 4, kvHeads: 2, headSize: 16 } as const;

function gqaModel(c: GqaCase, inputs: Inputs): Uint8Array {
  const { heads, kvHeads } = GQA;
  const order = ['query', 'key', 'value', 'past_key', 'past_value', 'seqlens_k', 'total_sequence_length', 'cos_cache', 'sin_cache'];
  const given = (name: string): boolean => name in inputs || (name === 'total_sequence_length' && c.totalConstant === true);
  const nodeInputs = order.map((name) => (given(name) ? name : ''));
  while (nodeInputs[nodeInputs.length - 1] === '') nodeInputs.pop();
  const graphInputs: ValueSpec[] = Object.entries(inputs).map(([name, t]) => ({ name, elemType: t.dtype === 'i32' ? ONNX_INT32 : ONNX_FLOAT, shape: t.shape }));
  return encodeModel({
    opsets: [{ domain: '', version: 21 }, { domain: 'com.microsoft', version: 1 }],
    nodes: [{
      op: 'GroupQueryAttention', domain: 'com.microsoft', name: 'gqa',
      inputs: nodeInputs,
      outputs: ['output', 'present_key', 'present_value'],
      attrs: { num_heads: heads, kv_num_heads: kvHeads, ...(c.rotaryPositions ? { do_rotary: 1 } : {}), ...c.attrs },
    }],
    inputs: graphInputs,
    initializers: c.totalConstant ? { total_sequence_length: tensor('i32', [], [c.total]) } : undefined,
    outputs: [{ name: 'output' }, { name: 'present_key' }, { name: 'present_value' }],
  });
}

function gqaInputs(c: GqaCase, rand: Rand): Inputs {
  const { heads, kvHeads, headSize } = GQA;
  const inputs: Inputs = {
    query: floats([c.batch, c.sequence, heads * headSize], rand),
    key: floats([c.batch, c.sequence, kvHeads * headSize], rand),
    value: floats([c.batch, c.sequence, kvHeads * headSize], rand),
  };
  if (c.past > 0) {
    inputs.past_key = floats([c.batch, kvHeads, c.past, headSize], rand);
    inputs.past_value = floats([c.batch, kvHeads, c.past, headSize], rand);
  }
  inputs.seqlens_k = tensor('i32', [c.batch], c.seqlens);
  if (!c.totalConstant) inputs.total_sequence_length = tensor('i32', [], [c.total]);
  if (c.rotaryPositions) {
    // cos/sin of position · 10000^(-2i/rotaryDim), as LLaMA builds them; one row per position.
    const half = headSize / 2;
    const angle = (p: number, i: number): number => p * 10000 ** (-i / half);
    const table = (f: (x: number) => number): Tensor =>
      tensor('f32', [c.rotaryPositions!, half], Float32Array.from({ length: c.rotaryPositions! * half }, (_, k) => f(angle(Math.floor(k / half), k % half))));
    inputs.cos_cache = table(Math.cos);
    inputs.sin_cache = table(Math.sin);
  }
  return inputs;
}

const GQA_CASES: readonly GqaCase[] = [
  { label: 'a decode step of 1 token after a past of 7', batch: 2, sequence: 1, past: 7, seqlens: [7, 7], total: 8 },
  { label: 'a decode step where entry 1 has only 4 valid past tokens (its new token goes at position 4)', batch: 2, sequence: 1, past: 7, seqlens: [7, 4], total: 8 },
  { label: 'a prefill of 5 tokens with no past', batch: 2, sequence: 5, past: 0, seqlens: [4, 4], total: 5 },
  { label: 'a decode step with total_sequence_length 10 known at import (the present cache is 10 long)', batch: 2, sequence: 1, past: 7, seqlens: [7, 5], total: 10, totalConstant: true },
  { label: 'a decode step with a local window of 3', batch: 2, sequence: 1, past: 7, seqlens: [7, 5], total: 8, attrs: { local_window_size: 3 } },
  { label: 'do_rotary: a decode step after a past of 7', batch: 2, sequence: 1, past: 7, seqlens: [7, 6], total: 8, rotaryPositions: 16 },
  { label: 'do_rotary: a prefill of 5 tokens with no past', batch: 2, sequence: 5, past: 0, seqlens: [4, 4], total: 5, rotaryPositions: 16 },
  { label: 'do_rotary, interleaved: a prefill of 5 tokens', batch: 1, sequence: 5, past: 0, seqlens: [4], total: 5, rotaryPositions: 16, attrs: { rotary_interleaved: 1 } },
];

describe('com.microsoft GroupQueryAttention (one node; num_heads 4, kv_num_heads 2, head size 16)', () => {
  for (const [index, c] of GQA_CASES.entries()) {
    it(`agrees with onnxruntime on output, present_key and present_value: ${c.label}`, async () => {
      const inputs = gqaInputs(c, seededRandom(7000 + index));
      const bytes = gqaModel(c, inputs);
      const session = await InferenceSession.create(bytes, { executionProviders: ['cpu'], logSeverityLevel: 3 });
      const expected = await runOrt(session, inputs);
      const { graph, diagnostics } = importOnnx(bytes, 'gqa.onnx');
      if (!graph) expect.fail(`sluice could not import the model:\n${formatDiagnostics(diagnostics)}`);
      const { outputs } = interpret(graph, new Map(Object.entries(inputs)));
      expect([...expected.keys()]).toEqual(['output', 'present_key', 'present_value']);
      const checks = [...expected].map(([name, want]) => compareTensors(name, outputs.get(name)!, want));
      const bad = checks.filter((check) => !check.ok || check.relL2Error > REL_L2);
      if (bad.length) expect.fail(`sluice differs from onnxruntime (relative L2 tolerance ${REL_L2}): ${bad.map(describeCheck).join('; ')}`);
      // Never all zeros: the inputs are random, so equal outputs mean something was computed.
      for (const t of outputs.values()) expect(Array.from(t.data as Float32Array).some((x) => x !== 0)).toBe(true);
    });
  }
});
