// Building small ONNX models in tests, with onnx-proto's generated encoder.

import type onnxProto from 'onnx-proto';
import { onnx } from '../../compiler/import/onnx/proto.js';
import type { Tensor } from '../../compiler/interpret/tensor.js';
import { encodeTensorProto } from '../../compiler/io/tensor-proto.js';

export const ONNX_FLOAT = 1;
export const ONNX_INT64 = 7;

export interface ValueSpec {
  readonly name: string;
  readonly elemType?: number;
  /** Numbers are fixed dims, strings are dim_params. */
  readonly shape?: readonly (number | string)[];
}

export interface NodeSpec {
  readonly op: string;
  readonly inputs: readonly string[];
  readonly outputs: readonly string[];
  readonly name?: string;
  readonly domain?: string;
  readonly attrs?: Readonly<Record<string, number | number[] | string | Tensor>>;
}

export interface ModelSpec {
  readonly nodes: readonly NodeSpec[];
  readonly inputs: readonly ValueSpec[];
  readonly outputs: readonly ValueSpec[];
  readonly initializers?: Readonly<Record<string, Tensor>>;
  readonly opset?: number;
  readonly opsets?: readonly { domain: string; version: number }[];
  readonly irVersion?: number;
}

function valueInfo(v: ValueSpec): onnxProto.onnx.IValueInfoProto {
  return {
    name: v.name,
    type: {
      tensorType: {
        elemType: v.elemType ?? ONNX_FLOAT,
        shape: v.shape ? { dim: v.shape.map((d) => (typeof d === 'number' ? { dimValue: d } : { dimParam: d })) } : undefined,
      },
    },
  };
}

function attribute(name: string, v: number | number[] | string | Tensor): onnxProto.onnx.IAttributeProto {
  const T = onnx.AttributeProto.AttributeType;
  if (typeof v === 'string') return { name, type: T.STRING, s: new TextEncoder().encode(v) };
  if (Array.isArray(v)) return v.every(Number.isInteger) ? { name, type: T.INTS, ints: v } : { name, type: T.FLOATS, floats: v };
  if (typeof v === 'number') return Number.isInteger(v) ? { name, type: T.INT, i: v } : { name, type: T.FLOAT, f: v };
  return { name, type: T.TENSOR, t: onnx.TensorProto.decode(encodeTensorProto(v, name)) };
}

export function modelProto(spec: ModelSpec): onnxProto.onnx.IModelProto {
  return {
    irVersion: spec.irVersion ?? 8,
    opsetImport: spec.opsets ? [...spec.opsets] : [{ domain: '', version: spec.opset ?? 17 }],
    producerName: 'sluice-test',
    graph: {
      name: 'test',
      node: spec.nodes.map((n, i) => ({
        opType: n.op,
        input: [...n.inputs],
        output: [...n.outputs],
        name: n.name ?? `${n.op.toLowerCase()}_${i}`,
        domain: n.domain ?? '',
        attribute: Object.entries(n.attrs ?? {}).map(([k, v]) => attribute(k, v)),
      })),
      input: spec.inputs.map(valueInfo),
      output: spec.outputs.map(valueInfo),
      initializer: Object.entries(spec.initializers ?? {}).map(([name, t]) => onnx.TensorProto.decode(encodeTensorProto(t, name))),
    },
  };
}

export function encodeModel(spec: ModelSpec | onnxProto.onnx.IModelProto): Uint8Array {
  const proto = 'nodes' in spec ? modelProto(spec) : spec;
  return onnx.ModelProto.encode(proto).finish();
}

/**
 * y = Reshape(x, shape) * w: a model whose Reshape target is a graph input (`shape`, i64[3]),
 * as exporters write it; x is f32[2, 6] and w an f32[2] initializer, so y is [a, b, 2].
 */
export function reshapeByInputModel(w: Tensor): ModelSpec {
  return {
    nodes: [
      { op: 'Reshape', inputs: ['x', 'shape'], outputs: ['r'], name: 'reshape' },
      { op: 'Mul', inputs: ['r', 'w'], outputs: ['y'], name: 'scale' },
    ],
    inputs: [{ name: 'x', shape: [2, 6] }, { name: 'shape', elemType: ONNX_INT64, shape: [3] }],
    outputs: [{ name: 'y' }],
    initializers: { w },
  };
}
