// The ONNX models the engine comparison runs (bench/wasm-vs-ort.ts): the benchmark
// shapes, built here as ONNX files (opset 17, seeded random weights scaled by 1/√fan-in) so
// sluice and onnxruntime-web read the very same bytes; plus the exported fixtures of
// test/fixtures/onnx at benchmark sizes.

import type onnxProto from 'onnx-proto';
import { onnx } from '../compiler/import/onnx/proto.js';
import { tensor, type Tensor } from '../compiler/interpret/tensor.js';
import { hashSeed, randomTensor } from '../compiler/io/random.js';
import { encodeTensorProto } from '../compiler/io/tensor-proto.js';

export interface BenchCase {
  readonly name: string;
  /** The ONNX file's bytes (generated), or a path relative to the repository root (fixture). */
  readonly model: Uint8Array | string;
  /** Values of the model's symbolic dims. */
  readonly dims: Readonly<Record<string, number>>;
  /** Floating-point operations of one run (multiply and add count as two), when known. */
  readonly flops?: number;
}

type Node = onnxProto.onnx.INodeProto;

class OnnxGraph {
  readonly nodes: Node[] = [];
  readonly initializers: onnxProto.onnx.ITensorProto[] = [];
  private count = 0;

  constructor(private readonly seed: string) {}

  /** A weight of seeded random values scaled by 1/√fanIn. */
  weight(shape: readonly number[], fanIn: number): string {
    const name = `w${this.count++}`;
    const t = randomTensor('f32', shape, hashSeed(0, this.seed, name), { scale: 1 / Math.sqrt(fanIn) });
    return this.constant(name, t);
  }

  constant(name: string, t: Tensor): string {
    this.initializers.push(onnx.TensorProto.decode(encodeTensorProto(t, name)));
    return name;
  }

  ints(values: readonly number[]): string {
    return this.constant(`c${this.count++}`, tensor('i64', [values.length], values));
  }

  scalar(value: number): string {
    return this.constant(`c${this.count++}`, tensor('f32', [], [value]));
  }

  op(opType: string, inputs: readonly string[], attrs: Readonly<Record<string, number | readonly number[]>> = {}): string {
    const out = `t${this.count++}`;
    const T = onnx.AttributeProto.AttributeType;
    this.nodes.push({
      opType, input: [...inputs], output: [out], name: `${opType.toLowerCase()}_${this.nodes.length}`,
      attribute: Object.entries(attrs).map(([name, v]) => (typeof v === 'number'
        ? (Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v })
        : { name, type: T.INTS, ints: [...v] })),
    });
    return out;
  }

  /** x·W + b with W [inF, outF]. */
  linear(x: string, inF: number, outF: number): string {
    return this.op('Add', [this.op('MatMul', [x, this.weight([inF, outF], inF)]), this.weight([outF], inF)]);
  }

  /** The exact (erf) GELU: x/2 · (1 + erf(x/√2)). */
  gelu(x: string): string {
    const erf = this.op('Erf', [this.op('Div', [x, this.scalar(Math.SQRT2)])]);
    return this.op('Mul', [this.op('Mul', [x, this.op('Add', [erf, this.scalar(1)])]), this.scalar(0.5)]);
  }

  layerNorm(x: string, width: number): string {
    const gamma = this.constant(`ln${this.count++}`, tensor('f32', [width], new Float32Array(width).fill(1)));
    const beta = this.constant(`ln${this.count++}`, tensor('f32', [width], new Float32Array(width)));
    return this.op('LayerNormalization', [x, gamma, beta], { axis: -1, epsilon: 1e-12 });
  }

  encode(inputs: readonly { name: string; shape: readonly number[] }[], output: string): Uint8Array {
    const info = (name: string, shape?: readonly number[]): onnxProto.onnx.IValueInfoProto => ({
      name, type: { tensorType: { elemType: 1, ...(shape ? { shape: { dim: shape.map((d) => ({ dimValue: d })) } } : {}) } },
    });
    // The graph's one output, `y`, is the last node's result.
    const last = this.nodes[this.nodes.length - 1]!;
    if (last.output?.[0] !== output) throw new Error('bench model: the output must be the last node');
    last.output = ['y'];
    return onnx.ModelProto.encode({
      irVersion: 8,
      opsetImport: [{ domain: '', version: 17 }],
      producerName: 'sluice-bench',
      graph: { name: this.seed, node: this.nodes, input: inputs.map((i) => info(i.name, i.shape)), output: [info('y')], initializer: this.initializers },
    }).finish();
  }
}

/** y = a · B, B a weight: n³ multiply-adds. */
export function matmulCase(n: number): BenchCase {
  const g = new OnnxGraph(`matmul${n}`);
  const y = g.op('MatMul', ['a', g.weight([n, n], n)]);
  return { name: `matmul ${n}³`, model: g.encode([{ name: 'a', shape: [n, n] }], y), dims: {}, flops: 2 * n ** 3 };
}

/** An MLP rows×d → f (erf GELU) → d. */
export function mlpCase(rows: number, d: number, f: number): BenchCase {
  const g = new OnnxGraph('mlp');
  const y = g.linear(g.gelu(g.linear('x', d, f)), f, d);
  return { name: `MLP ${rows}×${d}→${f}→${d}`, model: g.encode([{ name: 'x', shape: [rows, d] }], y), dims: {}, flops: 2 * rows * (d * f + f * d) };
}

/** A BERT-base-like encoder layer: self-attention (no mask), post-LayerNorm, erf-GELU MLP ×4. */
export function bertLayerCase(s: number, hidden: number, heads: number): BenchCase {
  const g = new OnnxGraph('bert');
  const hd = hidden / heads;
  const split = (t: string, perm: readonly number[]) => g.op('Transpose', [g.op('Reshape', [t, g.ints([1, s, heads, hd])])], { perm });
  const q = split(g.linear('x', hidden, hidden), [0, 2, 1, 3]);
  const kT = split(g.linear('x', hidden, hidden), [0, 2, 3, 1]);
  const v = split(g.linear('x', hidden, hidden), [0, 2, 1, 3]);
  const scores = g.op('Mul', [g.op('MatMul', [q, kT]), g.scalar(1 / Math.sqrt(hd))]);
  const context = g.op('MatMul', [g.op('Softmax', [scores], { axis: -1 }), v]);
  const merged = g.op('Reshape', [g.op('Transpose', [context], { perm: [0, 2, 1, 3] }), g.ints([1, s, hidden])]);
  const h1 = g.layerNorm(g.op('Add', ['x', g.linear(merged, hidden, hidden)]), hidden);
  const ffn = g.linear(g.gelu(g.linear(h1, hidden, 4 * hidden)), 4 * hidden, hidden);
  const y = g.layerNorm(g.op('Add', [h1, ffn]), hidden);
  const flops = 2 * s * hidden * hidden * 4 + 2 * 2 * s * s * hidden + 2 * 2 * s * hidden * 4 * hidden;
  return { name: `BERT layer S=${s} H=${hidden}`, model: g.encode([{ name: 'x', shape: [1, s, hidden] }], y), dims: {}, flops };
}

/** A ResNet basic block (BN folded into the convolutions): conv3×3 → ReLU → conv3×3 → +x → ReLU. */
export function resnetBlockCase(channels: number, size: number): BenchCase {
  const g = new OnnxGraph('resnet');
  const conv = (x: string) => g.op('Conv', [x, g.weight([channels, channels, 3, 3], channels * 9), g.weight([channels], channels * 9)], { pads: [1, 1, 1, 1], kernel_shape: [3, 3] });
  const y = g.op('Relu', [g.op('Add', [conv(g.op('Relu', [conv('x')])), 'x'])]);
  const flops = 2 * 2 * size * size * channels * channels * 9;
  return { name: `ResNet block ${channels}ch ${size}×${size}`, model: g.encode([{ name: 'x', shape: [1, channels, size, size] }], y), dims: {}, flops };
}

/** Every case, the shapes first. */
export function benchCases(): BenchCase[] {
  return [
    matmulCase(512),
    matmulCase(1024),
    mlpCase(128, 768, 3072),
    bertLayerCase(128, 768, 12),
    resnetBlockCase(64, 56),
    { name: 'fixture: BERT layer (H=32) S=128', model: 'test/fixtures/onnx/bert_encoder_layer.onnx', dims: { batch: 1, sequence: 128 } },
    { name: 'fixture: GPT-2 block (H=32) S=32', model: 'test/fixtures/onnx/gpt2_decoder_block.onnx', dims: { batch: 1, sequence: 32 } },
    { name: 'fixture: ResNet block 16ch 56×56', model: 'test/fixtures/onnx/resnet_basic_block.onnx', dims: { batch: 1, height: 56, width: 56 } },
  ];
}
